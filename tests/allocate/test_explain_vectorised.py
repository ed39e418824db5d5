"""The vectorised explanations (issue 19) say exactly what the per-participant loop said.

``explain_oracle`` is the loop as it was before; both run on the same random allocations, with
and without side rules, in rank and score mode. The compact table (explanations.csv) must hold
the same reasons as the report.json mapping, and report.json's text, rendered from columns for a
large report, is the one ``json.dumps`` wrote.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flok.allocation import Allocation
from flok.engine import allocate
from flok.errors import InfeasibleError, InputError
from flok.explain import EXPLANATION_COLUMNS, explain, explanation_rows, explanations_table
from flok.io import explanations as explanations_io
from flok.io.explanations import explanations_json, write_report
from flok.io.writers import BIG_REPORT, write_json
from flok.model import Problem
from tests.allocate.explain_oracle import explain as explain_oracle
from tests.strategies import constrained_problems, problems

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _solved(problem: Problem) -> Allocation:
    try:
        return allocate(problem)
    except InfeasibleError:
        assume(False)
        raise


def _from_table(allocation: Allocation) -> dict[str, dict[str, Any]]:
    """The report.json mapping rebuilt from explanations.csv's columns."""
    table = explanations_table(allocation)
    assert tuple(table.column_names) == EXPLANATION_COLUMNS
    out: dict[str, dict[str, Any]] = {}
    for row in table.to_pylist():
        entry = out.setdefault(row["participant_id"], {"seat": row["seat"], "reasons": []})
        assert entry["seat"] == row["seat"]
        entry["reasons"].append({k: row[k] for k in ("opportunity_id", "rank", "code", "text")})
    return out


def _joined(mapping: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {pid: {"seat": ";".join(e["seat"]), "reasons": e["reasons"]} for pid, e in mapping.items()}


@SETTINGS
@given(problem=st.one_of(problems(max_participants=8, max_opportunities=4), problems(mode="score")))
def test_plain_allocations_are_explained_as_before(problem: Problem) -> None:
    allocation = _solved(problem)
    expected = explain_oracle(allocation)
    got = explain(allocation)
    assert list(got.items()) == list(expected.items())  # same people, same order, same reasons
    assert _from_table(allocation) == _joined(expected)


@SETTINGS
@given(problem=constrained_problems())
def test_side_rules_are_explained_as_before(problem: Problem) -> None:
    allocation = _solved(problem)
    expected = explain_oracle(allocation)
    assert list(explain(allocation).items()) == list(expected.items())
    assert _from_table(allocation) == _joined(expected)


IDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=4
).filter(lambda s: s.strip() == s and s.strip() != "")


@SETTINGS
@given(data=st.data(), chunk=st.sampled_from([1, 2, 3, explanations_io.JSON_CHUNK]))
def test_report_json_text_equals_json_dumps_of_the_mapping(data: st.DataObject, chunk: int) -> None:
    """Ids with quotes, backslashes, control characters and any script are escaped as json.dumps
    does; the text is built in pieces of ``chunk`` people (a person's entry never splits)."""
    m = data.draw(st.integers(1, 4))
    n = data.draw(st.integers(1, 7))
    oids = data.draw(st.lists(IDS, min_size=m, max_size=m, unique=True))
    pids = data.draw(st.lists(IDS, min_size=n, max_size=n, unique=True))
    prefs = []
    for pid in pids:
        ranked = data.draw(st.lists(st.sampled_from(oids), min_size=1, max_size=m, unique=True))
        prefs += [{"participant_id": pid, "opportunity_id": o, "rank": r + 1} for r, o in enumerate(ranked)]
    caps = data.draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    try:
        problem = Problem.from_records(
            opportunities=[{"opportunity_id": o, "capacity": c} for o, c in zip(oids, caps, strict=True)],
            preferences=prefs,
        )
    except InputError:  # ids Flok reads as equal (or as no id): not this test's subject
        assume(False)
        raise
    allocation = _solved(problem)
    with _chunk(chunk):
        text = explanations_json(explanation_rows(allocation))
    assert text == json.dumps(explain_oracle(allocation), separators=(",", ":"))


@contextmanager
def _chunk(people: int) -> Iterator[None]:
    """``JSON_CHUNK`` set to ``people`` for the block (a context, not a fixture: hypothesis)."""
    old = explanations_io.JSON_CHUNK
    explanations_io.JSON_CHUNK = people
    try:
        yield
    finally:
        explanations_io.JSON_CHUNK = old


@pytest.mark.parametrize("chunk", [explanations_io.JSON_CHUNK, 999])
def test_a_large_report_is_written_byte_for_byte_as_before(chunk: int) -> None:
    """Above BIG_REPORT explained people the writer renders the explanations itself, in pieces of
    ``chunk`` people; the file must be the one write_json wrote from the report mapping (and
    likewise below it)."""
    for n in (BIG_REPORT // 2, BIG_REPORT + 3000):
        rng = np.random.default_rng(n)
        pp = np.repeat(np.arange(n), 3)
        po = np.concatenate([rng.permutation(4)[:3] for _ in range(n)])
        problem = Problem.from_arrays(
            opportunity_ids=np.array(["T1", 'T"2', "T\\3", "Tö4"], dtype=object),
            capacity=np.array([n // 20, n // 20, 0, n // 10]),
            pref_participant=pp,
            pref_opportunity=po,
            rank=np.tile([1, 2, 3], n),
            n_participants=n,
        )
        allocation = allocate(problem)
        new, old = io.BytesIO(), io.BytesIO()
        with _chunk(chunk):
            write_report(allocation, new)
        write_json(allocation.report(), old)
        assert new.getvalue() == old.getvalue()
        assert len(json.loads(new.getvalue())["explanations"]) > (BIG_REPORT if n > BIG_REPORT else 0)
