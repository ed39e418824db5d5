"""The CP-SAT strategy: live progress (best objective and bound) through the shared CP-SAT backend.

Infeasibility is explained by `flok.solvers.diagnose.side_rules_error`, shared with the MIP strategy.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from flok.solvers.backends import CpSatModel
from flok.solvers.base import Progress, ProgressCallback, register
from flok.solvers.linear import Stage, dense_objective
from flok.solvers.sidemodel import SideModel
from flok.solvers.staged import StagedStrategy, StageResult


class CpSatStrategy(StagedStrategy):
    name = "cp_sat"
    priority = 30

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
            workers=min(8, os.cpu_count() or 1),
            seed=seed,
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
