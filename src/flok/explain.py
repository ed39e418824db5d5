"""Why a participant did not get a better choice, in words a coordinator can repeat.

For every participant below their first choice, each better-ranked opportunity gets one
reason: it was full with people who ranked it as high or higher, it was full and a swap
would have cost someone else more, it was cancelled, or a named rule blocked it.

The reasons are computed as columns (:func:`explanation_rows`), never one Python step per
preference: at 100k participants the report used to cost as much as the allocation itself
(issue 19). :func:`explanations_table` gives them as one CSV-ready table (the compact report);
:func:`explain` as the report.json mapping.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.allocation import Allocation, seat_ranks
from flok.solvers.rules import RULES, ExplainView

MAX_EXPLAINED = 200_000

TEXT = {
    "FULL": "{opp} was full: its {cap} seat(s) went to people who ranked it as high as you or higher",
    "FULL_TRADEOFF": "{opp} was full; giving you one of its seats would leave someone else unseated "
    "or further from their own choices (the allocation is optimal overall)",
    "NO_SEATS": "{opp} has no seats",
    "BELOW_MIN_SCORE": "your fit for {opp} is below the minimum score",
    "OBJECTIVE": "the chosen objective ({objective}) placed you elsewhere",
    **{rule.reason.code: rule.reason.text for rule in RULES if rule.reason is not None},
}
CODES = list(TEXT)
"""Reason codes by number: :class:`Explained` stores a code as its index here."""
_CODE = {code: i for i, code in enumerate(CODES)}
_OPEN = sorted(
    (r.reason for r in RULES if r.reason is not None and not r.reason.always), key=lambda r: r.precedence
)
_ALWAYS = [r.reason for r in RULES if r.reason is not None and r.reason.always]

EXPLANATION_COLUMNS = ("participant_id", "seat", "rank", "opportunity_id", "code", "text")
"""explanations.csv: one row per better choice missed; ``seat`` lists the seats held (``;``)."""


@dataclass(frozen=True)
class Explained:
    """One row per (participant, better-ranked opportunity), ordered by participant, then rank.

    ``code`` indexes :data:`CODES`. Parallel arrays, so a report of 100k people is built with
    a few array operations and no loop over people.
    """

    allocation: Allocation
    participant: np.ndarray
    opportunity: np.ndarray
    rank: np.ndarray
    code: np.ndarray

    @property
    def size(self) -> int:
        return int(self.participant.size)

    def people(self) -> tuple[np.ndarray, np.ndarray]:
        """The participants explained, in order, and where each one's rows start: rows are sorted
        by participant, so this is one pass, not a sort (``np.unique`` sorted 250k rows again)."""
        p = self.participant
        if not p.size:
            return p, p
        starts = np.flatnonzero(np.concatenate([[True], p[1:] != p[:-1]]))
        return p[starts], starts

    def text_table(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The distinct (code, opportunity) pairs, each row's index among them, and their texts.

        Pairs are found in a dense table of codes × opportunities rather than by sorting the
        rows (a quarter of a million at 100k people)."""
        problem = self.allocation.problem
        width = max(problem.n_opportunities, 1)
        keys = self.code * width + self.opportunity
        present = np.zeros(len(CODES) * width, dtype=bool)
        present[keys] = True
        combos = np.flatnonzero(present)
        index = np.cumsum(present) - 1
        inverse = index[keys]
        oids, caps, sizes = problem.opportunity_ids, problem.capacity, problem.min_size
        objective = problem.options.objective
        texts = [
            TEXT[CODES[c]].format(
                opp=str(oids[o]),
                cap=int(caps[o]),
                min_size=int(sizes[o]) if sizes is not None else 0,
                objective=objective,
            )
            for c, o in zip((combos // width).tolist(), (combos % width).tolist(), strict=True)
        ]
        return combos, inverse.reshape(-1).astype(np.int64), texts

    def texts(self) -> np.ndarray:
        """Each row's sentence; formatted once per (code, opportunity), then repeated."""
        _, inverse, texts = self.text_table()
        return np.array(texts, dtype=object)[inverse] if texts else np.array([], dtype=object)

    def seats(self, names: pa.Array | None = None) -> pa.LargeListArray:
        """Per participant (all of them), the seats held in allocation order, as ``names``
        (one string per opportunity; default: the opportunity ids)."""
        allocation = self.allocation
        problem = allocation.problem
        if names is None:
            names = id_strings(problem.opportunity_ids)
        order = np.argsort(allocation.participant, kind="stable")
        counts = np.bincount(allocation.participant, minlength=problem.n_participants)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        values = names.take(pa.array(allocation.opportunity[order]))
        return pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), values)


def id_strings(ids: np.ndarray) -> pa.Array:
    """Ids as Arrow strings, each ``str(id)``; not through NumPy's fixed-width text, which drops
    trailing NUL characters."""
    try:
        return pa.array(ids, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all str (numbers): as str() writes them
        return pa.array([str(x) for x in ids.tolist()], type=pa.string())


def explanation_rows(allocation: Allocation) -> Explained:
    """Every (participant, better-ranked opportunity) pair and the code of its reason."""
    problem = allocation.problem
    n, m = problem.n_participants, problem.n_opportunities
    ranks = problem.preference_rank
    part, opp = allocation.participant, allocation.opportunity
    held_rank = seat_ranks(problem, part, opp)
    held_rank = np.where(held_rank == 0, problem.unlisted_rank, held_rank)
    best = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(best, part, held_rank)
    used = np.bincount(opp, minlength=m)
    worst_holder = np.zeros(m, dtype=np.int64)
    np.maximum.at(worst_holder, opp, held_rank)

    pp, po = problem.pref_participant, problem.pref_opportunity
    rows = np.flatnonzero(ranks < best[pp])
    empty = np.zeros(0, dtype=np.int64)
    if not rows.size:
        return Explained(allocation, empty, empty, empty, empty)
    code = np.full(rows.size, _CODE["OBJECTIVE"], dtype=np.int64)
    r, o, p = ranks[rows], po[rows], pp[rows]
    full = used[o] >= problem.capacity[o]
    code[full] = np.where(worst_holder[o[full]] <= r[full], _CODE["FULL"], _CODE["FULL_TRADEOFF"])
    code[problem.capacity[o] == 0] = _CODE["NO_SEATS"]
    view = ExplainView(problem, part, opp, used)
    todo = np.flatnonzero(~full)  # free seats and no reason yet: the first rule that blocks names it
    for reason in _OPEN:
        if not todo.size:
            break
        hit = reason.blocks(view, p[todo], o[todo])
        code[todo[hit]] = _CODE[reason.code]
        todo = todo[~hit]
    if problem.score is not None:
        code[problem.score[rows] < problem.options.min_score] = _CODE["BELOW_MIN_SCORE"]
    for reason in _ALWAYS:
        code[reason.blocks(view, p, o)] = _CODE[reason.code]
    order = np.lexsort((r, p))
    return Explained(allocation, p[order], o[order], np.asarray(r[order], dtype=np.int64), code[order])


def explanations(allocation: Allocation) -> dict[str, dict[str, Any]] | None:
    """The report's ``explanations``: None above MAX_EXPLAINED participants (too big to list)."""
    if allocation.problem.n_participants > MAX_EXPLAINED:
        return None
    return explain(allocation)


def explain(allocation: Allocation) -> dict[str, dict[str, Any]]:
    """Per participant below first choice: their seat(s) and one reason per better option."""
    rows = explanation_rows(allocation)
    if not rows.size:
        return {}
    problem = allocation.problem
    with _no_gc():
        oid_names = [str(x) for x in problem.opportunity_ids.tolist()]
        oids = [oid_names[o] for o in rows.opportunity.tolist()]
        codes = [CODES[c] for c in rows.code.tolist()]
        reasons = [
            {"opportunity_id": oid, "rank": rank, "code": code, "text": text}
            for oid, rank, code, text in zip(
                oids, rows.rank.tolist(), codes, rows.texts().tolist(), strict=True
            )
        ]
        who, starts = rows.people()
        ends = [*starts[1:].tolist(), rows.size]
        seats = rows.seats().take(pa.array(who)).to_pylist()
        pids = [str(x) for x in problem.participant_ids[who].tolist()]
        return {
            pid: {"seat": seat, "reasons": reasons[a:b]}
            for pid, seat, a, b in zip(pids, seats, starts.tolist(), ends, strict=True)
        }


@contextmanager
def _no_gc() -> Iterator[None]:
    """Build many small containers without the cyclic collector re-scanning them (none are cycles);
    at 250k reasons the collector's passes cost more than building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def explanations_table(
    allocation: Allocation, cell: Callable[[pa.Array], pa.Array] | None = None
) -> pa.Table:
    """The explanations as one table, columns :data:`EXPLANATION_COLUMNS` (explanations.csv).

    The compact report: the same reasons as report.json's ``explanations``, written by pyarrow
    instead of one JSON object per reason. The text columns are dictionary-encoded (each id,
    seat list and sentence stored once), and ``cell`` (a writer's formula guard) is applied to
    those distinct values, not to every row.
    """
    rows = explanation_rows(allocation)
    problem = allocation.problem
    guard = cell or (lambda values: values)
    _, inverse, texts = rows.text_table()
    oids = id_strings(problem.opportunity_ids)

    def coded(indices: np.ndarray, values: pa.Array) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int64()), values)

    return pa.table(
        {
            "participant_id": coded(rows.participant, guard(id_strings(problem.participant_ids))),
            "seat": coded(rows.participant, guard(pc.binary_join(rows.seats(oids), ";"))),
            "rank": pa.array(rows.rank, type=pa.int64()),
            "opportunity_id": coded(rows.opportunity, guard(oids)),
            "code": coded(rows.code, pa.array(CODES, type=pa.string())),
            "text": coded(inverse, guard(pa.array(texts, type=pa.string()))),
        }
    )
