"""Time clashes: one participant never holds two opportunities whose windows overlap.

Data: ``max_seats`` (participants.csv) and ``start``/``end`` (opportunities.csv).
"""

from __future__ import annotations

import numpy as np

from flok.model import Problem
from flok.solvers.rules.base import BuildContext, ExplainView, Held, Reason, Rule


def _present(problem: Problem) -> bool:
    return bool((problem.seats_allowed() > 1).any()) and bool(problem.clashing_pairs().size)


def _build(ctx: BuildContext) -> None:
    problem = ctx.problem
    clashes = problem.clashing_pairs()
    if not clashes.size:
        return
    clash_set = set(map(tuple, clashes.tolist()))
    opp = ctx.lm.pairs.opportunity
    for p in np.flatnonzero(problem.seats_allowed() > 1).tolist():
        idx = ctx.by_p.get(p, [])
        for k, a in enumerate(idx):
            for b in idx[k + 1 :]:
                oa, ob = int(opp[a]), int(opp[b])
                if (min(oa, ob), max(oa, ob)) in clash_set:
                    ctx.lm.row([a, b], [1, 1], hi=1)


def _check(held: Held) -> list[str]:
    """Overlap tested window by window, not through ``Problem.clashing_pairs``."""
    problem = held.problem
    if problem.start is None or problem.end is None or problem.max_seats is None:
        return []  # one seat each (more is reported as too many seats): nothing can clash
    start, end = problem.start, problem.end
    pids, oids = problem.participant_ids, problem.opportunity_ids
    out: list[str] = []
    for p, opps in held.by_participant.items():
        for i, a in enumerate(opps):
            for b in opps[i + 1 :]:
                timed = not np.isnan([start[a], start[b], end[a], end[b]]).any()
                if timed and start[a] < end[b] and start[b] < end[a]:
                    out.append(f"participant {pids[p]} holds clashing {oids[a]} and {oids[b]}")
    return out


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    clash = view.clashes
    if not clash:
        return np.zeros(o.size, dtype=bool)
    return np.array(
        [
            any((min(ok, h), max(ok, h)) in clash for h in view.held.get(pk, ()))
            for pk, ok in zip(p.tolist(), o.tolist(), strict=True)
        ],
        dtype=bool,
    )


RULE = Rule(
    name="clashes",
    model_order=30,
    words="time clashes",
    present=_present,
    build=_build,
    check=_check,
    reason=Reason("TIME_CLASH", "{opp} clashes in time with a seat you already hold", _blocks, precedence=30),
)
