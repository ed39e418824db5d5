"""Independent oracles for allocation tests: brute force and the Hungarian algorithm.

Nothing here imports Flok's solvers; the oracles only read the problem's arrays.
"""

from __future__ import annotations

import itertools

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
