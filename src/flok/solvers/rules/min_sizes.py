"""Minimum fill: an opportunity runs with at least ``min_size`` people or gets nobody.

Data: the ``min_size`` column of opportunities.csv (no option, no flag).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.solvers.rules.base import BuildContext, ExplainView, Held, Reason, Rule

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem


def _present(problem: Problem) -> bool:
    return problem.min_size is not None and bool((problem.min_size > 1).any())


def _build(ctx: BuildContext) -> None:
    import numpy as np

    problem, lm = ctx.problem, ctx.lm
    if problem.min_size is None:
        return
    for o in np.flatnonzero(problem.min_size > 1).tolist():
        idx = ctx.by_o.get(o, [])
        r = ctx.runs(o)
        k = int(problem.min_size[o])
        lm.row(
            [*idx, r],
            [*np.ones(len(idx)), -k],
            lo=0,
            rule=f"opportunity {problem.opportunity_ids[o]} needs at least {k} participants to run",
        )


def _check(held: Held) -> list[str]:
    import numpy as np

    problem, used = held.problem, held.used
    if problem.min_size is None:
        return []
    return [
        f"opportunity {problem.opportunity_ids[o]} runs with {used[o]} participants, below its minimum "
        f"{problem.min_size[o]}"
        for o in np.flatnonzero((used > 0) & (used < problem.min_size))
    ]


def _cancelled(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    import numpy as np

    if view.problem.min_size is None:
        return np.zeros(o.size, dtype=bool)
    return (view.problem.min_size[o] > 1) & (view.used[o] == 0)


RULE = Rule(
    name="min_sizes",
    model_order=10,
    words="minimum sizes",
    present=_present,
    build=_build,
    check=_check,
    reason=Reason(
        "CANCELLED",
        "{opp} was cancelled: fewer than {min_size} participants could be placed there",
        _cancelled,
        precedence=10,
    ),
)
