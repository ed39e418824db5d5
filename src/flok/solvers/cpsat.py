"""The CP-SAT backend: live progress (best objective and bound) and infeasibility cores.

An infeasible model is re-solved with one assumption literal per named rule, so the error
can name the rules that conflict in words a coordinator understands.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from flok.errors import InfeasibleError
from flok.model import Problem
from flok.solvers.base import Progress, ProgressCallback, register
from flok.solvers.sidemodel import LinearModel, Stage, obvious_conflicts
from flok.solvers.staged import StagedStrategy, StageResult


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: str, callback: ProgressCallback | None) -> None:
        super().__init__()
        self.stage = stage
        self.callback = callback

    def on_solution_callback(self) -> None:
        if self.callback:
            self.callback(
                Progress(
                    f"{self.stage}: improving",
                    objective=self.objective_value,
                    bound=self.best_objective_bound,
                    seconds=self.wall_time,
                )
            )


def to_cp_model(
    lm: LinearModel, *, diagnose: bool = False
) -> tuple[cp_model.CpModel, list[Any], dict[str, Any]]:
    """The linear model in CP-SAT; with ``diagnose``, named rules get enforcement literals."""
    model = cp_model.CpModel()
    xs = [
        model.new_int_var(lo, hi, f"v{i}") for i, (lo, hi) in enumerate(zip(lm.lower, lm.upper, strict=True))
    ]
    rules: dict[str, Any] = {}
    for row in lm.rows:
        expr = cp_model.LinearExpr.weighted_sum(
            [xs[i] for i in row.idx.tolist()], row.coef.astype(int).tolist()
        )
        lo = int(row.lo) if row.lo != -np.inf else cp_model.INT_MIN
        hi = int(row.hi) if row.hi != np.inf else cp_model.INT_MAX
        ct = model.add_linear_constraint(expr, lo, hi)
        if diagnose and row.rule:
            if row.rule not in rules:
                rules[row.rule] = model.new_bool_var(row.rule)
            ct.only_enforce_if(rules[row.rule])
    return model, xs, rules


class CpSatStrategy(StagedStrategy):
    name = "cp_sat"
    priority = 30

    def open(self, lm: LinearModel) -> Any:
        model, xs, _ = to_cp_model(lm)
        return model, xs

    def run_stage(
        self,
        handle: Any,
        lm: LinearModel,
        stage: Stage,
        seconds: float,
        hint: np.ndarray | None,
        progress: ProgressCallback | None,
        seed: int,
    ) -> StageResult:
        model, xs = handle
        model.minimize(
            cp_model.LinearExpr.weighted_sum(
                [xs[i] for i in stage.idx.tolist()], stage.coef.astype(int).tolist()
            )
        )
        model.clear_hints()
        start = hint if hint is not None else np.zeros(len(xs))  # nobody seated is a quick first answer
        for var, val in zip(xs, np.round(start).astype(int).tolist(), strict=True):
            model.add_hint(var, val)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = min(8, os.cpu_count() or 1)
        solver.parameters.random_seed = seed
        status = solver.solve(model, _Progress(stage.label, progress))
        if status == cp_model.INFEASIBLE:
            return StageResult("infeasible", None)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return StageResult("unknown", None)
        values = np.array([solver.value(v) for v in xs], dtype=np.float64)
        return StageResult(
            "optimal" if status == cp_model.OPTIMAL else "feasible",
            values,
            float(round(solver.objective_value)),
            float(solver.best_objective_bound),
        )

    def fix(self, handle: Any, stage: Stage, value: float) -> None:
        model, xs = handle
        model.add(
            cp_model.LinearExpr.weighted_sum(
                [xs[i] for i in stage.idx.tolist()], stage.coef.astype(int).tolist()
            )
            <= round(value)
        )


def explain_infeasible(problem: Problem, lm: LinearModel) -> InfeasibleError:
    """Plain-words reasons: obvious conflicts, then an unsatisfiable core of named rules."""
    reasons = obvious_conflicts(problem, lm.pairs)
    model, _, rules = to_cp_model(lm, diagnose=True)
    model.add_assumptions(list(rules.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10.0
    solver.parameters.num_workers = 1
    if solver.solve(model) == cp_model.INFEASIBLE:
        core = set(solver.sufficient_assumptions_for_infeasibility())
        names = {lit.index: text for text, lit in rules.items()}
        conflict = [names[i] for i in sorted(core) if i in names]
        if conflict:
            reasons.append("these rules cannot all hold together: " + "; ".join(conflict[:8]))
    return InfeasibleError(
        "no allocation satisfies every rule",
        reasons=reasons or ["the capacities and hard rules conflict"],
        hints=["relax one of the rules named above", "add seats"],
    )


register(CpSatStrategy())
