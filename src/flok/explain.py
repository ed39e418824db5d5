"""Why a participant did not get a better choice, in words a coordinator can repeat.

For every participant below their first choice, each better-ranked opportunity gets one
reason: it was full with people who ranked it as high or higher, it was full and a swap
would have cost someone else more, it was cancelled, or a named rule blocked it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flok.allocation import Allocation, seat_ranks

MAX_EXPLAINED = 200_000

TEXT = {
    "FULL": "{opp} was full: its {cap} seat(s) went to people who ranked it as high as you or higher",
    "FULL_TRADEOFF": "{opp} was full; giving you one of its seats would leave someone else unseated "
    "or further from their own choices (the allocation is optimal overall)",
    "NO_SEATS": "{opp} has no seats",
    "CANCELLED": "{opp} was cancelled: fewer than {min_size} participants could be placed there",
    "FORBIDDEN": "you may not be placed in {opp} (a forbidden pair)",
    "BELOW_MIN_SCORE": "your fit for {opp} is below the minimum score",
    "GROUP": "your group could not all be placed in {opp} together",
    "TIME_CLASH": "{opp} clashes in time with a seat you already hold",
    "CATEGORY_LIMIT": "you already hold the most seats allowed in {opp}'s category",
    "QUOTA": "{opp} reached a quota that applies to you",
    "OBJECTIVE": "the chosen objective ({objective}) placed you elsewhere",
}


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
    not_full = ~full
    if problem.min_size is not None:
        code[not_full & (problem.min_size[o] > 1) & (used[o] == 0)] = "CANCELLED"
    code = _rule_codes(allocation, rows, code, not_full)
    if problem.score is not None:
        code[problem.score[rows] < problem.options.min_score] = "BELOW_MIN_SCORE"
    if problem.options.forbidden:
        bad = problem.pair_indices(problem.options.forbidden, "forbidden")
        width = max(m, 1)
        code[np.isin(p * width + o, bad[:, 0] * width + bad[:, 1])] = "FORBIDDEN"

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


def _rule_codes(allocation: Allocation, rows: np.ndarray, code: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """Name the side rule that kept a participant out of an opportunity with free seats."""
    problem = allocation.problem
    pp, po = problem.pref_participant, problem.pref_opportunity
    gidx, _ = problem.group_index()
    held: dict[int, set[int]] = {}
    for a, b in zip(allocation.participant.tolist(), allocation.opportunity.tolist(), strict=True):
        held.setdefault(a, set()).add(b)
    clash = set(map(tuple, problem.clashing_pairs().tolist()))
    limits = dict(problem.options.category_limit)
    for k in np.flatnonzero(open_ & (code == "OBJECTIVE")).tolist():
        p, o = int(pp[rows[k]]), int(po[rows[k]])
        mine = held.get(p, set())
        if gidx[p] >= 0 and problem.options.group_mode == "hard":
            code[k] = "GROUP"
        elif any((min(o, h), max(o, h)) in clash for h in mine):
            code[k] = "TIME_CLASH"
        elif problem.category is not None and problem.category[o] and limits:
            cat = str(problem.category[o])
            limit = limits.get(cat, limits.get("*"))
            if limit is not None and sum(1 for h in mine if problem.category[h] == cat) >= limit:
                code[k] = "CATEGORY_LIMIT"
        if code[k] == "OBJECTIVE" and problem.options.quotas:
            for q in problem.options.quotas:
                if str(problem.participant_attributes[q.attribute][p]) == q.value and (
                    q.opportunity in (None, str(problem.opportunity_ids[o]))
                ):
                    code[k] = "QUOTA"
                    break
    return code
