"""Arcs and integer costs shared by every strategy, so all of them optimize the same thing.

Ranked mode: cost = (rank + penalty)·unit; score mode: cost = −(score − penalty)·unit, with
``unit`` scaling fractional values to integers. Forbidden pairs and pairs below ``min_score``
have no arc at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flok.model import Problem

SCORE_RESOLUTION = 1_000_000
PENALTY_RESOLUTION = 100
INT_SAFE = 2**62


@dataclass(frozen=True)
class Arcs:
    row: np.ndarray  # index into the problem's preferences
    participant: np.ndarray
    opportunity: np.ndarray
    cost: np.ndarray  # int64, minimized
    unit: float  # cost units per rank (or per score point)
    unlisted_cost: int  # cost of an unlisted seat under fill_unlisted
    problem: Problem

    @property
    def size(self) -> int:
        return int(self.row.size)

    @property
    def rank(self) -> np.ndarray:
        """The stated rank, or in score mode the rank by score (computed only when asked)."""
        return self.problem.preference_rank[self.row].astype(np.int64)


def _score_unit(values: np.ndarray) -> float:
    top = float(np.abs(values).max()) if values.size else 0.0
    if np.all(values == np.round(values)) and top <= SCORE_RESOLUTION * 10:
        return 1.0
    return SCORE_RESOLUTION / top if top > 0 else 1.0


def build_arcs(problem: Problem) -> Arcs:
    keep = problem.acceptable()
    if problem.options.forbidden:
        bad = problem.pair_indices(problem.options.forbidden, "forbidden")
        m = max(problem.n_opportunities, 1)
        keys = problem.pref_participant * m + problem.pref_opportunity
        keep &= ~np.isin(keys, bad[:, 0] * m + bad[:, 1])
    row = np.flatnonzero(keep)
    penalty = problem.penalty[row] if problem.penalty is not None else np.zeros(row.size)
    if problem.rank is not None:
        rank = problem.rank[row]
        unit = 1.0 if np.all(penalty == np.round(penalty)) else float(PENALTY_RESOLUTION)
        cost = rank * int(unit) + np.round(penalty * unit).astype(np.int64)
        unlisted = problem.unlisted_rank * int(unit)
    else:
        value = problem.score[row] - penalty  # type: ignore[index]
        unit = _score_unit(value)
        cost = -np.round(value * unit).astype(np.int64)
        unlisted = 0
    return Arcs(
        row=row,
        participant=problem.pref_participant[row],
        opportunity=problem.pref_opportunity[row],
        cost=cost.astype(np.int64),
        unit=float(unit),
        unlisted_cost=int(unlisted),
        problem=problem,
    )


def lottery_scale(costs: list[np.ndarray], units: int) -> tuple[int, int] | None:
    """The lottery's factor M and noise bound K for these costs (see :func:`tie_break`).

    Any other term of the objective measured in cost units (the soft-group penalty) must be
    multiplied by M too, or the lottery would shrink it relative to the seats' costs.
    """
    top = max((int(np.abs(c).max()) for c in costs if c.size), default=1) + 2
    k = 1000
    while k > 2 and (units * (k - 1) + 1) * top * max(units, 1) * 2 >= INT_SAFE:
        k //= 2
    big = units * (k - 1) + 1
    if big * top * max(units, 1) * 2 >= INT_SAFE:
        return None
    return big, k


def tie_break(costs: list[np.ndarray], units: int, seed: int) -> list[np.ndarray] | None:
    """Perturb costs so a seeded lottery picks among the equal-cost optima, exactly.

    Each cost c becomes c·M + ε with 0 ≤ ε < K and M > units·(K−1): the total perturbation
    of any allocation (``units`` = most seats that can leave participants) stays below M, so
    allocations keep their order by original cost and only ties are reordered. None when
    the perturbed costs would overflow.
    """
    scale = lottery_scale(costs, units)
    if scale is None:
        return None
    big, k = scale
    rng = np.random.default_rng(seed)
    return [c * big + rng.integers(0, k, size=c.size, dtype=np.int64) for c in costs]
