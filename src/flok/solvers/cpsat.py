"""The CP-SAT strategy: live progress (best objective and bound) through the shared CP-SAT backend.

Infeasibility is explained by `flok.solvers.diagnose.side_rules_error`, shared with the MIP strategy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flok.model import Problem
from flok.solvers.backends import CpSatModel
from flok.solvers.base import Progress, ProgressCallback, register
from flok.solvers.costs import INT_SAFE, Arcs, objective_magnitude
from flok.solvers.linear import Stage, dense_objective
from flok.solvers.sidemodel import SideModel
from flok.solvers.staged import StagedStrategy, StageResult


class CpSatStrategy(StagedStrategy):
    name = "cp_sat"
    priority = 30

    def objective_unsupported(self, problem: Problem, arcs: Arcs) -> str | None:
        """CP-SAT refuses an objective that could overflow 64-bit integers over its domains."""
        top = objective_magnitude(problem, arcs, every_pair=True)
        if top >= INT_SAFE:
            return f"objective values up to {top:.3g} cost units reach 2^62, beyond 64-bit integers"
        return None

    def open(self, lm: SideModel) -> Any:
        return CpSatModel(lm.to_matrix())

    def run_stage(
        self,
        handle: Any,
        lm: SideModel,
        stage: Stage,
        seconds: float,
        hint: np.ndarray | None,
        progress: ProgressCallback | None,
        seed: int,
    ) -> StageResult:
        model: CpSatModel = handle
        c = dense_objective(len(model.xs), stage.idx, stage.coef)
        start = hint if hint is not None else np.zeros(len(model.xs))  # nobody seated: a quick first answer

        def report(objective: float, bound: float, wall: float) -> None:
            if progress:
                progress(
                    Progress(f"{stage.label}: improving", objective=objective, bound=bound, seconds=wall)
                )

        res = model.solve(
            c,
            seconds,
            start,
            # One worker: CP-SAT's parallel portfolio races its workers, so reruns of one problem
            # gave different allocations (issue 13 item 8). One worker with a fixed seed is
            # deterministic, and measured here faster than two racing workers or their
            # deterministic interleaving (1.0 s vs 2.4 s vs 16 s, 300×12 with a share quota).
            workers=1,
            seed=seed % 2**31,  # CP-SAT's random_seed is a 32-bit int; a larger --seed crashed it
            on_solution=report if progress else None,
        )
        if res.status == "infeasible":
            return StageResult("infeasible", None)
        if res.x is None:
            return StageResult("unknown", None)
        return StageResult(res.status, res.x, float(round(res.objective)), res.bound)

    def fix(self, handle: Any, stage: Stage, value: float) -> None:
        handle.add_row(stage.idx, stage.coef, hi=round(value))


register(CpSatStrategy())
