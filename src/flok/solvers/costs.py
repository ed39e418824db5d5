"""Arcs and integer costs shared by every strategy, so all of them optimize the same thing.

Ranked mode: cost = (rank + penalty)·unit; score mode: cost = −(score − penalty)·unit, with
``unit`` = 10**d for the fewest decimal places d (≤ 6) that make every score, penalty and the
soft-group penalty an integer, so every cost is exact (issue 13: rounding to 0.01 or to a
resolution relative to the largest score decided close calls wrongly). Digits beyond the 6th
decimal place are rounded; values too large to be exact are refused naming the range.
Forbidden pairs and pairs below ``min_score`` have no arc at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from flok.errors import InputError
from flok.model import Problem

MAX_DECIMALS = 6
"""Scores, penalties and the group penalty are exact to this many decimal places; finer digits are
rounded to it (documented in docs/side-constraints.md, "Exact numbers")."""
MAX_UNITS = 2**53
"""No single value, scaled to an integer count of its finest decimal place, may reach this:
above 2**53 a double no longer holds every integer, so the value itself is no longer exact."""
MIP_EXACT = 2**53
"""HiGHS computes in doubles: objectives whose every partial sum stays below 2**53 are exact."""
INT_SAFE = 2**62


@dataclass(frozen=True)
class Arcs:
    row: np.ndarray  # index into the problem's preferences
    participant: np.ndarray
    opportunity: np.ndarray
    cost: np.ndarray  # int64, minimized
    unit: int  # cost units per rank (or per score point): 10**decimals, so every cost is exact
    unlisted_cost: int  # cost of an unlisted seat under fill_unlisted
    problem: Problem

    @property
    def size(self) -> int:
        return int(self.row.size)

    @property
    def rank(self) -> np.ndarray:
        """The stated rank, or in score mode the rank by score (computed only when asked)."""
        return self.problem.preference_rank[self.row].astype(np.int64)


def _decimals(values: np.ndarray) -> int | None:
    """Fewest decimal places d ≤ MAX_DECIMALS that write every value exactly, or None.

    A value "has d decimals" when it is the double nearest to some k / 10**d, i.e. the number
    the user typed; ``k / 10**d`` in double precision is correctly rounded, so comparing it
    with the value decides this exactly.
    """
    if values.size == 0:
        return 0
    for d in range(MAX_DECIMALS + 1):
        scale = 10.0**d
        if np.array_equal(np.round(values * scale) / scale, values):
            return d
    return None


def _refuse(
    problem: Problem, name: str, values: np.ndarray, bad: np.ndarray, row: np.ndarray, why: str
) -> InputError:
    """An InputError naming the first bad value and its pair (``row``: preference of each value)."""
    if name == "group_penalty":
        return InputError(why.format(value=problem.options.group_penalty), source="options", field=name)
    i = int(np.flatnonzero(bad)[0])
    who = problem.participant_ids[problem.pref_participant[row[i]]]
    what = problem.opportunity_ids[problem.pref_opportunity[row[i]]]
    return InputError(
        f"{why.format(value=repr(float(values[i])))} (participant '{who}', opportunity '{what}')",
        source="preferences",
        field=name,
    )


def _exact_unit(problem: Problem, named: list[tuple[str, np.ndarray]], row: np.ndarray) -> int:
    """10**d for the fewest decimals d (≤ MAX_DECIMALS) that make every named value an integer count.

    Values written with more than MAX_DECIMALS decimals (computed floats, e.g. pulse's fit
    scores) are rounded to the nearest 10**-MAX_DECIMALS: the documented resolution.
    """
    d = 0
    for _, values in named:
        need = _decimals(values)
        d = max(d, MAX_DECIMALS if need is None else need)
    unit = 10**d
    for name, values in named:
        if not np.isfinite(values).all():
            raise _refuse(
                problem,
                name,
                values,
                ~np.isfinite(values),
                row,
                f"{name} must be a finite number, got {{value}}",
            )
        bad = np.abs(values) * unit >= MAX_UNITS
        if bad.any():
            raise _refuse(
                problem,
                name,
                values,
                bad,
                row,
                f"{name} {{value}} is out of the exact range: |{name}| × 10^{d} (its finest decimal "
                f"place in this problem) must stay below 2^53 ≈ 9.007e15",
            )
    return unit


def _named_values(problem: Problem, row: np.ndarray) -> list[tuple[str, np.ndarray]]:
    named: list[tuple[str, np.ndarray]] = []
    if problem.score is not None:
        named.append(("score", problem.score[row]))
    if problem.penalty is not None:
        named.append(("penalty", problem.penalty[row]))
    if problem.options.group_mode == "soft" and problem.group_index()[1]:
        named.append(("group_penalty", np.array([problem.options.group_penalty])))
    return named


def build_arcs(problem: Problem) -> Arcs:
    """Every acceptable pair with its exact integer cost (InputError when a value cannot be exact)."""
    keep = problem.acceptable()
    if problem.options.forbidden:
        bad = problem.pair_indices(problem.options.forbidden, "forbidden")
        m = max(problem.n_opportunities, 1)
        keys = problem.pref_participant * m + problem.pref_opportunity
        keep &= ~np.isin(keys, bad[:, 0] * m + bad[:, 1])
    row = np.flatnonzero(keep)
    unit = _exact_unit(problem, _named_values(problem, row), row)
    penalty = (
        np.round(problem.penalty[row] * unit).astype(np.int64)
        if problem.penalty is not None
        else np.zeros(row.size, dtype=np.int64)
    )
    if problem.rank is not None:
        cost = problem.rank[row].astype(np.int64) * unit + penalty
        unlisted = problem.unlisted_rank * unit
    else:
        score = np.round(problem.score[row] * unit).astype(np.int64)  # type: ignore[index]
        cost = penalty - score
        unlisted = 0
    return Arcs(
        row=row,
        participant=problem.pref_participant[row],
        opportunity=problem.pref_opportunity[row],
        cost=cost.astype(np.int64),
        unit=unit,
        unlisted_cost=int(unlisted),
        problem=problem,
    )


def value_units(value: float, unit: int) -> int:
    """``value × unit`` exactly, for a value with at most MAX_DECIMALS decimals and unit a multiple
    of 10**decimals (the soft-group penalty in cost units, also once the lottery scales ``unit``)."""
    return round(Fraction(repr(float(value))) * unit)


def soft_group_pairs(problem: Problem) -> int:
    """How many pairs of soft-group members could be separated (each costs the group penalty)."""
    if problem.options.group_mode != "soft":
        return 0
    return sum(int(m.size) * (int(m.size) - 1) // 2 for m in problem.group_index()[1])


def lottery_fits(problem: Problem, arcs: Arcs) -> bool:
    """Whether a seeded lottery keeps every cost exact in the shared linear model (true without a seed).

    The model stores coefficients as doubles, so each perturbed cost c·M + ε (and the soft-group
    penalty × M) must stay below 2**53, besides fitting 64 bits. The side-rule strategies skip a
    lottery that does not fit; they must refuse instead, or a seed would silently stop deciding ties.
    """
    if problem.options.seed is None:
        return True
    units = int(problem.seats_allowed().sum())
    unlisted = np.array([arcs.unlisted_cost], dtype=np.int64)
    scale = lottery_scale([arcs.cost, unlisted], units, MIP_EXACT)  # as staged.py draws it
    if scale is None:
        return False
    big, noise = scale
    top = max(int(np.abs(arcs.cost).max(initial=0)), abs(arcs.unlisted_cost))
    weight = value_units(problem.options.group_penalty, arcs.unit) if soft_group_pairs(problem) else 0
    return max(top * big + noise, weight * big) < MIP_EXACT


def objective_magnitude(problem: Problem, arcs: Arcs, *, every_pair: bool = False) -> int:
    """A bound on |objective| (and on every partial sum of it) of any allocation, in cost units.

    Includes the seeded lottery's scaling, so a backend can tell whether it computes exactly:
    at most ``units`` seats, each at most the largest cost, plus the penalty of every separable
    soft-group pair. ``every_pair`` bounds the sum over all pair variables instead (CP-SAT
    refuses a model whose objective could overflow 64 bits over its variables' domains).
    """
    units = int(problem.seats_allowed().sum())
    top = max(int(np.abs(arcs.cost).max(initial=0)), abs(arcs.unlisted_cost))
    pairs = soft_group_pairs(problem)
    weight = value_units(problem.options.group_penalty, arcs.unit) if pairs else 0
    big, noise = 1, 0
    if problem.options.seed is not None:
        unlisted = np.array([arcs.unlisted_cost], dtype=np.int64)
        scale = lottery_scale([arcs.cost, unlisted], units, MIP_EXACT)  # as staged.py draws it
        if scale is not None:
            big, noise = scale
    if every_pair:
        extra = len(problem.options.forced)
        if problem.options.fill_unlisted:
            extra += problem.n_participants * problem.n_opportunities
        # A float sum: an int64 sum of many large costs would wrap around; a bound needs no exactness.
        total = int(np.abs(arcs.cost).sum(dtype=np.float64)) + abs(arcs.unlisted_cost) * extra
        return total * big + noise * (arcs.size + extra) + weight * big * pairs
    return (top * big + noise) * units + weight * big * pairs


def lottery_scale(costs: list[np.ndarray], units: int, limit: int = INT_SAFE) -> tuple[int, int] | None:
    """The lottery's factor M and noise bound K for these costs (see :func:`tie_break`).

    Any other term of the objective measured in cost units (the soft-group penalty) must be
    multiplied by M too, or the lottery would shrink it relative to the seats' costs. ``limit``
    bounds every perturbed total: 2**62 for 64-bit flows, MIP_EXACT for the linear model,
    which stores coefficients as doubles (K shrinks, down to 2, before the lottery is refused).
    """
    top = max((int(np.abs(c).max()) for c in costs if c.size), default=1) + 2
    k = 1000
    while k > 2 and (units * (k - 1) + 1) * top * max(units, 1) * 2 >= limit:
        k = max(2, k // 2)  # at least 2 noise values: K = 1 would be no lottery at all
    big = units * (k - 1) + 1
    if big * top * max(units, 1) * 2 >= limit:
        return None
    return big, k


def tie_break(
    costs: list[np.ndarray], units: int, seed: int, limit: int = INT_SAFE
) -> list[np.ndarray] | None:
    """Perturb costs so a seeded lottery picks among the equal-cost optima, exactly.

    Each cost c becomes c·M + ε with 0 ≤ ε < K and M > units·(K−1): the total perturbation
    of any allocation (``units`` = most seats that can leave participants) stays below M, so
    allocations keep their order by original cost and only ties are reordered. None when
    the perturbed costs would overflow.
    """
    scale = lottery_scale(costs, units, limit)
    if scale is None:
        return None
    big, k = scale
    rng = np.random.default_rng(seed % 2**64)  # numpy refuses negative seeds; the same for seed ≥ 0
    return [c * big + rng.integers(0, k, size=c.size, dtype=np.int64) for c in costs]
