"""Stage results in the user's units: seats, people worse than a choice, worst rank, total rank/score.

The staged solvers minimize internal integer expressions (costs scaled by the fractional
unit and the lottery factor, seats weighted by a big-M in the one-solve "seats, then total
rank" stage). A gap on that scale means nothing to a coordinator (issue 13: "gap 173,259,000"
for an empty allocation), so every stage's found value and proven bound are translated back
here, and the gap is the difference between them in the stage's own measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from flok.solvers.linear import Stage

SEATS = "seats"
KEPT = "seats kept"
PEOPLE = "seats worse than the level"
WORST = "worst rank"


@dataclass(frozen=True)
class Scale:
    """How stage objectives map to user units."""

    unit: float  # cost units per rank or score point (before the lottery)
    lottery: int  # the lottery's factor M (1 without a seed)
    score: bool  # score mode: the cost is −score
    soft_groups: bool  # the cost stage also carries soft-group "together" credits
    offset: float = 0.0  # group_penalty × group pairs: turns those credits into penalties


def _floor(value: float) -> float:
    return float(math.floor(value + 1e-9))


def _ceil(value: float) -> float:
    return float(math.ceil(value - 1e-9))


def _total(value: float, scale: Scale) -> tuple[str, float]:
    """A cost-stage value as total rank or total score.

    Seeded costs are c·M + ε with 0 ≤ ε < M summed below M, so flooring by M recovers the
    unperturbed cost of a found value and keeps a lower bound a lower bound. In score mode the
    cost is −score, so a lower bound on the cost is an upper bound on the total score.
    """
    total = _floor(value / scale.lottery) / scale.unit + scale.offset
    if scale.score:
        return ("total score minus group penalties" if scale.soft_groups else "total score"), -total + 0.0
    return ("total rank plus group penalties" if scale.soft_groups else "total rank"), total


def stage_values(
    stage: Stage, objective: float, bound: float, seats: int, scale: Scale, big: float | None = None
) -> dict[str, Any]:
    """{measure, objective, bound} for one stage; ``seats`` is the allocation's seat count and
    ``big`` the per-seat weight of the one-solve "seats, then total rank" stage."""
    label = stage.label
    if not np.isfinite(bound):  # the solver proved nothing: say so rather than invent a bound
        values = stage_values(stage, objective, objective, seats, scale, big)
        return values | {"bound": None}
    if label == "seats":
        return {"measure": SEATS, "objective": -objective, "bound": _floor(-bound)}
    if label == "seats kept from before":
        return {"measure": KEPT, "objective": -objective, "bound": _floor(-bound)}
    if label.startswith("seats worse than"):
        return {"measure": PEOPLE, "objective": objective, "bound": _ceil(bound)}
    if label == "worst rank":
        return {"measure": WORST, "objective": objective, "bound": _ceil(bound)}
    if label.startswith("seats, then") and big:
        # objective = cost − big·seats with |cost| < big: the bound caps the seats, and when the
        # cap is the seats found, the rest of the bound is a bound on the cost.
        most = max(float(seats), _ceil((big - bound) / big) - 1)
        out: dict[str, Any] = {"measure": SEATS, "objective": float(seats), "bound": most}
        if most == seats and not scale.soft_groups:
            out["total_measure"], out["total_bound"] = _total(bound + big * seats, scale)
        return out
    measure, found = _total(objective, scale)
    _, low = _total(bound, scale)
    return {"measure": measure, "objective": found, "bound": low}


def live_values(
    stage: Stage, objective: float, bound: float, scale: Scale, big: float | None
) -> dict[str, Any]:
    """``stage_values`` for a solve still running, when the allocation's seat count is not known:
    in the one-solve "seats, then total rank" stage it is read off the objective (cost − big·seats
    with 0 ≤ cost < big; with soft-group credits the cost may dip below 0, and the count may then
    be one high until the stage ends)."""
    seats = 0
    if stage.label.startswith("seats, then") and big:
        seats = max(0, int(_ceil(-objective / big)))
    return stage_values(stage, objective, bound, seats, scale, big)
