"""The per-participant explanation loop as it was before it was vectorised (issue 19), kept as
the oracle the vectorised ``flok.explain`` must match on random instances."""

from __future__ import annotations

from typing import Any

import numpy as np

from flok.allocation import Allocation, seat_ranks
from flok.explain import TEXT
from flok.solvers.rules import RULES, ExplainView

_OPEN = sorted(
    (r.reason for r in RULES if r.reason is not None and not r.reason.always), key=lambda r: r.precedence
)
_ALWAYS = [r.reason for r in RULES if r.reason is not None and r.reason.always]


def explain(allocation: Allocation) -> dict[str, dict[str, Any]]:
    """Per participant below first choice: their seat(s) and one reason per better option."""
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
    better = ranks < best[pp]
    rows = np.flatnonzero(better)
    if not rows.size:
        return {}
    code = np.full(rows.size, "OBJECTIVE", dtype=object)
    r, o, p = ranks[rows], po[rows], pp[rows]
    full = used[o] >= problem.capacity[o]
    code[full] = np.where(worst_holder[o[full]] <= r[full], "FULL", "FULL_TRADEOFF")
    code[problem.capacity[o] == 0] = "NO_SEATS"
    view = ExplainView(problem, part, opp, used)  # its seats per participant, as ``held`` was built here
    todo = np.flatnonzero(~full)  # free seats and no reason yet: the first rule that blocks names it
    for reason in _OPEN:
        if not todo.size:
            break
        hit = reason.blocks(view, p[todo], o[todo])
        code[todo[hit]] = reason.code
        todo = todo[~hit]
    if problem.score is not None:
        code[problem.score[rows] < problem.options.min_score] = "BELOW_MIN_SCORE"
    for reason in _ALWAYS:
        code[reason.blocks(view, p, o)] = reason.code

    oids = [str(x) for x in problem.opportunity_ids.tolist()]
    pids = [str(x) for x in problem.participant_ids.tolist()]
    seats: dict[int, list[str]] = {}
    for a, b in zip(part.tolist(), opp.tolist(), strict=True):
        seats.setdefault(a, []).append(oids[b])
    caps = problem.capacity.tolist()
    sizes = problem.min_size.tolist() if problem.min_size is not None else [0] * m
    texts: dict[tuple[str, int], str] = {}  # one text per (code, opportunity), reused
    out: dict[str, dict[str, Any]] = {}
    order = np.lexsort((r, p))
    for pk, ok, rk, ck in zip(
        p[order].tolist(), o[order].tolist(), r[order].tolist(), code[order].tolist(), strict=True
    ):
        entry = out.get(pids[pk])
        if entry is None:
            entry = out[pids[pk]] = {"seat": seats.get(pk, []), "reasons": []}
        text = texts.get((ck, ok))
        if text is None:
            text = texts[(ck, ok)] = TEXT[ck].format(
                opp=oids[ok], cap=caps[ok], min_size=sizes[ok], objective=problem.options.objective
            )
        entry["reasons"].append({"opportunity_id": oids[ok], "rank": rk, "code": ck, "text": text})
    return out
