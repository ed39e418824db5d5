"""The vectorised explanations (issue 19) say exactly what the per-participant loop said.

``explain_oracle`` is the loop as it was before; both run on the same random allocations, with
and without side rules, in rank and score mode. The compact table (explanations.csv) must hold
the same reasons as the report.json mapping.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flok.allocation import Allocation
from flok.engine import allocate
from flok.errors import InfeasibleError
from flok.explain import EXPLANATION_COLUMNS, explain, explanations_table
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
