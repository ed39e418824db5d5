"""Independent oracles for allocation tests: brute force and the Hungarian algorithm.

Nothing here imports Flok's solvers; the oracles only read the problem's arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
from scipy.optimize import linear_sum_assignment

from flok.model import Problem


def _choices(problem: Problem) -> list[list[tuple[int, float]]]:
    """Per participant: (opportunity, cost) options; None seat is handled by callers."""
    out: list[list[tuple[int, float]]] = [[] for _ in range(problem.n_participants)]
    listed: list[set[int]] = [set() for _ in range(problem.n_participants)]
    for i in range(problem.n_preferences):
        p, o = int(problem.pref_participant[i]), int(problem.pref_opportunity[i])
        listed[p].add(o)
        if problem.rank is not None:
            out[p].append((o, float(problem.rank[i])))
        else:
            assert problem.score is not None
            if problem.score[i] >= problem.options.min_score:
                out[p].append((o, -float(problem.score[i])))
    if problem.options.fill_unlisted:
        for p in range(problem.n_participants):
            for o in range(problem.n_opportunities):
                if o not in listed[p]:
                    out[p].append((o, float(problem.unlisted_rank)))
    return out


def brute_force(problem: Problem) -> tuple[int, float] | None:
    """Best (seats, cost) by enumeration, or None when allow_unassigned=false is infeasible.

    Ranked mode: most seats, then lowest total rank. Score mode: lowest cost = −total score.
    """
    choices = _choices(problem)
    best: tuple[int, float] | None = None
    best_key: tuple[int, float] | None = None
    for combo in itertools.product(*[[(-1, 0.0), *c] for c in choices]):
        used = np.zeros(problem.n_opportunities, dtype=int)
        seats, cost = 0, 0.0
        for o, c in combo:
            if o >= 0:
                used[o] += 1
                seats += 1
                cost += c
        if (used > problem.capacity).any():
            continue
        if not problem.options.allow_unassigned and seats < problem.n_participants:
            continue
        key = (-seats, cost) if problem.rank is not None else (0, cost)
        if best_key is None or key < best_key:
            best_key, best = key, (seats, cost)
    return best


def hungarian(problem: Problem) -> tuple[int, float]:
    """(seats, total rank) via linear_sum_assignment on the seat-expanded matrix.

    Columns are individual seats plus one 'unassigned' column per participant whose cost
    exceeds any full assignment's total rank, so the optimum maximizes seats first.
    """
    choices = _choices(problem)
    seat_owner = np.repeat(np.arange(problem.n_opportunities), problem.capacity)
    n, s = problem.n_participants, seat_owner.size
    worst = max((c for ch in choices for _, c in ch), default=1.0)
    penalty = (n + 1) * (abs(worst) + 1)
    forbidden = penalty * 10
    cost = np.full((n, s + n), forbidden, dtype=float)
    cost[:, s:] = forbidden
    cost[np.arange(n), s + np.arange(n)] = penalty
    for p, ch in enumerate(choices):
        for o, c in ch:
            cost[p, :s][seat_owner == o] = c
    rows, cols = linear_sum_assignment(cost)
    seats = int((cols < s).sum())
    total = float(cost[rows, cols][cols < s].sum())
    return seats, total


def allocation_key(problem: Problem, part: np.ndarray, opp: np.ndarray) -> tuple[float, ...]:
    """The objective of an allocation as a tuple to minimize, computed from scratch."""
    m = max(problem.n_opportunities, 1)
    info: dict[int, tuple[float, float, float]] = {}
    for i in range(problem.n_preferences):
        key = int(problem.pref_participant[i]) * m + int(problem.pref_opportunity[i])
        pen = float(problem.penalty[i]) if problem.penalty is not None else 0.0
        rank = float(problem.rank[i]) if problem.rank is not None else score_rank(problem, i)
        score = float(problem.score[i]) if problem.score is not None else 0.0
        info[key] = (rank, score, pen)
    ranks, cost = [], 0.0
    for p, o in zip(part.tolist(), opp.tolist(), strict=True):
        rank, score, pen = info.get(p * m + o, (float(problem.unlisted_rank), 0.0, 0.0))
        ranks.append(rank)
        cost += (rank + pen) if problem.rank is not None else -(score - pen)
    opts = problem.options
    if problem.group is not None and opts.group_mode == "soft":
        held: dict[int, set[int]] = {}
        for p, o in zip(part.tolist(), opp.tolist(), strict=True):
            held.setdefault(p, set()).add(o)
        groups: dict[str, list[int]] = {}
        for p, g in enumerate(problem.group):
            if g:
                groups.setdefault(str(g), []).append(p)
        for members in groups.values():
            for a, b in itertools.combinations(members, 2):
                if not held.get(a, set()) & held.get(b, set()):
                    cost += opts.group_penalty
    seats = len(ranks)
    if problem.rank is None and opts.objective == "sum":
        return (round(cost, 6),)
    if opts.objective == "lexicographic":
        # Every allocation of one problem gets a key of the same length: count up to the
        # largest rank the problem can give, not the largest this allocation happens to use.
        top = int(max([problem.unlisted_rank, *possible_ranks(problem), *ranks], default=1))
        if top > 10_000:  # huge ranks: count at every rank the problem can give instead (same order)
            levels = sorted({*possible_ranks(problem), float(problem.unlisted_rank)})
            return (-seats, *[sum(1 for r in ranks if r > k) for k in levels], round(cost, 6))
        return (-seats, *[sum(1 for r in ranks if r > k) for k in range(1, top)], round(cost, 6))
    if opts.objective == "maximin":
        return (-seats, max(ranks, default=0), round(cost, 6))
    return (-seats, round(cost, 6))


def score_rank(problem: Problem, i: int) -> float:
    """Score mode's rank of preference ``i``, from the docs: 1 + how many of the same
    participant's scores are strictly higher."""
    assert problem.score is not None
    p, value = problem.pref_participant[i], problem.score[i]
    return float(
        1
        + sum(
            1
            for j in range(problem.n_preferences)
            if problem.pref_participant[j] == p and problem.score[j] > value
        )
    )


def possible_ranks(problem: Problem) -> list[float]:
    """Every rank a seat can have in this problem (listed ranks; the unlisted rank is separate)."""
    if problem.rank is not None:
        return sorted({float(r) for r in problem.rank.tolist()})
    return sorted({score_rank(problem, i) for i in range(problem.n_preferences)})


def brute_force_general(problem: Problem) -> tuple[float, ...] | None:
    """Best objective key over every allocation the independent verifier accepts."""
    from flok.solvers.verify import violations

    n, m = problem.n_participants, problem.n_opportunities
    acceptable: list[list[int]] = [[] for _ in range(n)]
    for i in range(problem.n_preferences):
        if problem.score is None or problem.score[i] >= problem.options.min_score:
            acceptable[int(problem.pref_participant[i])].append(int(problem.pref_opportunity[i]))
    if problem.options.fill_unlisted:
        acceptable = [list(range(m)) for _ in range(n)]
    for p, o in problem.pair_indices(problem.options.forced, "forced").tolist():
        if o not in acceptable[p]:
            acceptable[p].append(o)
    seats = problem.seats_allowed()
    choices = []
    for p in range(n):
        opts_p: list[tuple[int, ...]] = []
        for k in range(int(seats[p]) + 1):
            opts_p += list(itertools.combinations(acceptable[p], k))
        choices.append(opts_p)
    best: tuple[float, ...] | None = None
    for combo in itertools.product(*choices):
        part = np.array([p for p, os_ in enumerate(combo) for _ in os_], dtype=np.int64)
        opp = np.array([o for os_ in combo for o in os_], dtype=np.int64)
        if violations(problem, part, opp):
            continue
        key = allocation_key(problem, part, opp)
        if best is None or key < best:
            best = key
    return best


def describe(problem: Problem) -> str:
    """A readable dump of a small problem, for hypothesis failure notes."""
    fields = ["capacity", "max_seats", "group", "start", "end", "category", "min_size", "penalty"]
    lines = [f"options={problem.options}"]
    lines += [f"{f}={getattr(problem, f)!r}" for f in fields if getattr(problem, f) is not None]
    lines.append(f"attributes={problem.participant_attributes}")
    values = problem.rank if problem.rank is not None else problem.score
    assert values is not None
    lines += [
        f"pref {problem.participant_ids[p]} -> {problem.opportunity_ids[o]}: {v}"
        for p, o, v in zip(problem.pref_participant, problem.pref_opportunity, values, strict=True)
    ]
    return "\n".join(lines)


def rule_violations(problem: Problem, part: np.ndarray, opp: np.ndarray) -> list[str]:
    """Which rules an allocation breaks, written from docs/side-constraints.md alone.

    A second, independent verifier: it imports nothing from ``flok.solvers`` (neither the
    rows the solvers build nor the verifier's rule checks), so the property tests can hold
    solvers and verifier to it. Names are short tags, not the verifier's sentences.
    """
    opts = problem.options
    n, m = problem.n_participants, problem.n_opportunities
    pid = {str(p): i for i, p in enumerate(problem.participant_ids.tolist())}
    oid = {str(o): i for i, o in enumerate(problem.opportunity_ids.tolist())}
    seats: list[list[int]] = [[] for _ in range(n)]
    for p, o in zip(part.tolist(), opp.tolist(), strict=True):
        seats[p].append(o)
    size = [0] * m
    for o in opp.tolist():
        size[o] += 1
    out: list[str] = []
    limit = [1] * n if problem.max_seats is None else [int(k) for k in problem.max_seats]
    for p in range(n):
        if len(seats[p]) > limit[p] or len(set(seats[p])) < len(seats[p]):
            out.append("seats")
        if not opts.allow_unassigned and not seats[p]:
            out.append("unassigned")
    out += ["capacity" for o in range(m) if size[o] > int(problem.capacity[o])]
    forced = {(pid[a], oid[b]) for a, b in opts.forced}
    forbidden = {(pid[a], oid[b]) for a, b in opts.forbidden}
    ranked: dict[tuple[int, int], float | None] = {}
    for i in range(problem.n_preferences):
        key = (int(problem.pref_participant[i]), int(problem.pref_opportunity[i]))
        ranked[key] = None if problem.score is None else float(problem.score[i])
    for p in range(n):
        for o in seats[p]:
            if (p, o) in forbidden:
                out.append("forbidden")
            if (p, o) in forced or opts.fill_unlisted:
                continue
            if (p, o) not in ranked:
                out.append("unranked")
            elif (score := ranked[(p, o)]) is not None and score < opts.min_score:
                out.append("min_score")
    out += ["forced" for p, o in forced if o not in seats[p]]
    if problem.start is not None and problem.end is not None:
        for p in range(n):
            for a, b in itertools.combinations(seats[p], 2):
                s_a, e_a, s_b, e_b = problem.start[a], problem.end[a], problem.start[b], problem.end[b]
                if not any(np.isnan([s_a, e_a, s_b, e_b])) and max(s_a, s_b) < min(e_a, e_b):
                    out.append("clash")
    if problem.meetings is not None:  # weekly timetables: any meeting of one overlaps one of the other
        for p in range(n):
            for a, b in itertools.combinations(seats[p], 2):
                meets = itertools.product(problem.meetings[a], problem.meetings[b])
                if any(max(ma[0], mb[0]) < min(ma[1], mb[1]) for ma, mb in meets):
                    out.append("clash")
    if opts.category_limit and problem.category is not None:
        caps = dict(opts.category_limit)
        for p in range(n):
            for cat in {str(problem.category[o]) for o in seats[p]} - {""}:
                cap = caps.get(cat, caps.get("*"))
                if cap is not None and sum(str(problem.category[o]) == cat for o in seats[p]) > cap:
                    out.append("category")
    if problem.min_size is not None:
        out += ["min_size" for o in range(m) if 0 < size[o] < int(problem.min_size[o])]
    if problem.group is not None and opts.group_mode == "hard":
        together: dict[str, set[frozenset[int]]] = {}
        for p in range(n):
            if problem.group[p]:
                together.setdefault(str(problem.group[p]), set()).add(frozenset(seats[p]))
        out += ["group" for held in together.values() if len(held) > 1]
    for q in opts.quotas:
        values = problem.participant_attributes[q.attribute]
        for o in range(m):
            if q.opportunity is not None and q.opportunity != str(problem.opportunity_ids[o]):
                continue
            people = [p for p in range(n) if o in seats[p]]
            count = sum(str(values[p]) == q.value for p in people)
            if q.max is not None and count > q.max:
                out.append("quota max")
            if q.min is not None and people and count < q.min:
                out.append("quota min")
            # The share is the decimal written (docs: exact, at most 6 places), compared exactly.
            if q.max_share is not None and count > Decimal(repr(q.max_share)) * len(people):
                out.append("quota share")
    for g in opts.capacity_groups:  # docs: the seats in all of a group's opportunities together
        names = set(g.opportunities)
        if sum(size[o] for o in range(m) if str(problem.opportunity_ids[o]) in names) > g.capacity:
            out.append("capacity group")
    return out


def candidate_allocations(
    problem: Problem, *, anything: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every allocation of up to ``max_seats`` distinct opportunities per participant.

    By default only pairs someone could accept (ranked, forced, or any with fill_unlisted),
    which is where optima live; ``anything`` enumerates every opportunity, for cross-checking
    verifiers on allocations that break the core rules too.
    """
    n, m = problem.n_participants, problem.n_opportunities
    pool: list[list[int]] = [[] for _ in range(n)]
    if anything or problem.options.fill_unlisted:
        pool = [list(range(m)) for _ in range(n)]
    else:
        for i in range(problem.n_preferences):
            pool[int(problem.pref_participant[i])].append(int(problem.pref_opportunity[i]))
        oid = {str(o): i for i, o in enumerate(problem.opportunity_ids.tolist())}
        pid = {str(p): i for i, p in enumerate(problem.participant_ids.tolist())}
        for a, b in problem.options.forced:
            if oid[b] not in pool[pid[a]]:
                pool[pid[a]].append(oid[b])
    limit = [1] * n if problem.max_seats is None else [int(k) for k in problem.max_seats]
    choices = [
        [c for k in range(limit[p] + 1) for c in itertools.combinations(sorted(pool[p]), k)] for p in range(n)
    ]
    for combo in itertools.product(*choices):
        yield (
            np.array([p for p, os_ in enumerate(combo) for _ in os_], dtype=np.int64),
            np.array([o for os_ in combo for o in os_], dtype=np.int64),
        )


def brute_force_rules(problem: Problem) -> tuple[float, ...] | None:
    """Best objective key over every allocation :func:`rule_violations` accepts (no Flok checks)."""
    keys = [
        allocation_key(problem, part, opp)
        for part, opp in candidate_allocations(problem)
        if not rule_violations(problem, part, opp)
    ]
    return min(keys, default=None)


def max_seatable(problem: Problem) -> int:
    """Most participants who can each hold a seat under the same rules with allow_unassigned=true.

    Enumerates every candidate allocation and keeps those :func:`rule_violations` accepts, so it
    shares no code with the solvers' relaxed model (``flok.solvers.diagnose.most_seated``).
    """
    relaxed = problem.with_options(allow_unassigned=True)
    return max(
        (
            int(np.unique(part).size)
            for part, opp in candidate_allocations(relaxed)
            if not rule_violations(relaxed, part, opp)
        ),
        default=-1,
    )
