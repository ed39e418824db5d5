"""Exact backends for `flok.solvers.linear` models: HiGHS (through SciPy's public ``milp``) and CP-SAT.

Every backend minimizes ``c @ x`` over a `MatrixModel` and answers with one `Result`: status,
solution, objective and proven bound. Allocation's side-rule strategies (mip, cp_sat) and circle
formation both solve through here, so a solver setting is decided, measured and fixed in one place.
Only public interfaces: ``scipy.optimize.milp`` and ``ortools.sat.python.cp_model``. Both load
where a backend runs (0.7 s with pandas, which CP-SAT brings): a plain allocation never needs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from flok.errors import SolverError
from flok.solvers.linear import MatrixModel

INF = float("inf")
Status = Literal["optimal", "feasible", "infeasible", "unknown"]
# (objective, bound, seconds) of each improving solution CP-SAT finds.
OnSolution = Callable[[float, float, float], None]


@dataclass(frozen=True)
class Result:
    """``x`` is None unless status is optimal or feasible; ``bound`` is a proven lower bound."""

    status: Status
    x: np.ndarray | None
    objective: float = INF
    bound: float = -INF
    seconds: float = 0.0


def solve_highs(
    model: MatrixModel,
    c: np.ndarray,
    time_limit: float,
    start: np.ndarray | None = None,
    *,
    presolve: bool = True,
) -> Result:
    """HiGHS with a zero relative gap, so "optimal" is the optimum (objectives are integers).

    ``start`` is accepted for a uniform signature; SciPy's public interface takes no warm start.
    Presolve stays on: without a warm start it is as fast or faster on every circles region measured
    (`flok.bench.circles_ab`; the old private-interface path turned it off only because it warm-started).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    began = time.perf_counter()
    res = milp(
        c=np.asarray(c, dtype=np.float64),
        constraints=[LinearConstraint(model.A, model.row_lo, model.row_hi)] if model.A.shape[0] else [],
        integrality=model.integer.astype(np.int8),
        bounds=Bounds(model.col_lo, model.col_hi),
        options={"time_limit": float(time_limit), "mip_rel_gap": 0.0, "presolve": presolve, "disp": False},
    )
    seconds = time.perf_counter() - began
    if res.status == 4 and presolve and time_limit - seconds > 0:
        # HiGHS's presolve can end in "Solve error" on some tiny infeasible models (seen with
        # equality rows whose other columns are fixed at 0); that is no answer, so solve again
        # without presolve, which proves infeasibility or finds the optimum.
        again = solve_highs(model, c, time_limit - seconds, start, presolve=False)
        return Result(again.status, again.x, again.objective, again.bound, seconds + again.seconds)
    if res.status == 2:
        return Result("infeasible", None, seconds=seconds)
    if res.x is None:
        return Result("unknown", None, seconds=seconds)
    x = np.where(model.integer, np.rint(res.x), res.x)
    objective = float(np.asarray(c, dtype=np.float64) @ x)
    if res.status == 0:
        return Result("optimal", x, objective, objective, seconds)
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(dual) if dual is not None and np.isfinite(dual) else -INF
    return Result("feasible", x, objective, min(bound, objective), seconds)


def lp_relaxation(model: MatrixModel, c: np.ndarray) -> float:
    """Optimum of the LP relaxation, a valid lower bound on the integer minimum (+inf: infeasible)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    res = milp(
        c=np.asarray(c, dtype=np.float64),
        constraints=[LinearConstraint(model.A, model.row_lo, model.row_hi)] if model.A.shape[0] else [],
        bounds=Bounds(model.col_lo, model.col_hi),
    )
    return float(res.fun) if res.status == 0 else INF


def _int_bound(value: float, default: int) -> int:
    return int(value) if np.isfinite(value) else default


class CpSatModel:
    """A `MatrixModel` translated once into CP-SAT; rows may be added between solves.

    Coefficients and bounds must be integers. With ``diagnose``, every row that carries a rule name
    is enforced by one literal per name, so `conflicting_rules` can name an unsatisfiable set.
    """

    def __init__(self, model: MatrixModel, *, diagnose: bool = False) -> None:
        from ortools.sat.python import cp_model

        self.model = cp_model.CpModel()
        self.xs = [
            self.model.new_int_var(
                _int_bound(lo, cp_model.INT_MIN), _int_bound(hi, cp_model.INT_MAX), f"v{j}"
            )
            for j, (lo, hi) in enumerate(zip(model.col_lo.tolist(), model.col_hi.tolist(), strict=True))
        ]
        self.rules: dict[str, Any] = {}
        A = model.A.tocsr()
        for r in range(A.shape[0]):
            lo, hi = A.indptr[r], A.indptr[r + 1]
            ct = self.add_row(A.indices[lo:hi], A.data[lo:hi], float(model.row_lo[r]), float(model.row_hi[r]))
            rule = model.rules[r] if model.rules else None
            if diagnose and rule:
                if rule not in self.rules:
                    self.rules[rule] = self.model.new_bool_var(rule)
                ct.only_enforce_if(self.rules[rule])

    def _expr(self, idx: np.ndarray, coef: np.ndarray) -> Any:
        from ortools.sat.python import cp_model

        return cp_model.LinearExpr.weighted_sum(
            [self.xs[i] for i in np.asarray(idx).tolist()], np.rint(coef).astype(np.int64).tolist()
        )

    def add_row(self, idx: np.ndarray, coef: np.ndarray, lo: float = -INF, hi: float = INF) -> Any:
        from ortools.sat.python import cp_model

        return self.model.add_linear_constraint(
            self._expr(idx, coef), _int_bound(lo, cp_model.INT_MIN), _int_bound(hi, cp_model.INT_MAX)
        )

    def solve(
        self,
        c: np.ndarray,
        time_limit: float,
        start: np.ndarray | None = None,
        *,
        workers: int = 1,
        seed: int | None = None,
        on_solution: OnSolution | None = None,
    ) -> Result:
        from ortools.sat.python import cp_model

        began = time.perf_counter()
        c = np.asarray(c, dtype=np.float64)
        nz = np.flatnonzero(c)
        self.model.minimize(self._expr(nz, c[nz]))
        self.model.clear_hints()
        if start is not None:
            for var, value in zip(self.xs, np.rint(start).astype(np.int64).tolist(), strict=True):
                self.model.add_hint(var, value)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = float(time_limit)
        solver.parameters.num_workers = workers
        if seed is not None:  # None: CP-SAT's own default seed
            solver.parameters.random_seed = seed
        status = solver.solve(self.model, _callback(on_solution) if on_solution else None)
        seconds = time.perf_counter() - began
        if status == cp_model.INFEASIBLE:
            return Result("infeasible", None, seconds=seconds)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Result("unknown", None, seconds=seconds)
        x = np.array([solver.value(v) for v in self.xs], dtype=np.float64)
        objective = float(c @ x)
        if status == cp_model.OPTIMAL:
            return Result("optimal", x, objective, objective, seconds)
        return Result("feasible", x, objective, float(solver.best_objective_bound), seconds)

    def conflicting_rules(self, time_limit: float = 10.0) -> list[str]:
        """Names of rules that cannot all hold (an unsatisfiable core); empty when none is found."""
        from ortools.sat.python import cp_model

        self.model.clear_objective()
        self.model.add_assumptions(list(self.rules.values()))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.num_workers = 1
        if solver.solve(self.model) != cp_model.INFEASIBLE:
            return []
        core = set(solver.sufficient_assumptions_for_infeasibility())
        names = {lit.index: text for text, lit in self.rules.items()}
        return [names[i] for i in sorted(core) if i in names]


def _callback(on_solution: OnSolution) -> Any:
    """A CP-SAT solution callback calling ``on_solution`` (its class needs CP-SAT loaded)."""
    from ortools.sat.python import cp_model

    class _Callback(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            on_solution(self.objective_value, self.best_objective_bound, self.wall_time)

    return _Callback()


def solve_cpsat(
    model: MatrixModel, c: np.ndarray, time_limit: float, start: np.ndarray | None = None
) -> Result:
    """One CP-SAT solve on two workers, hinted with ``start``."""
    return CpSatModel(model).solve(c, time_limit, start, workers=2)


class Backend(Protocol):
    def __call__(
        self, model: MatrixModel, c: np.ndarray, time_limit: float, start: np.ndarray | None = None
    ) -> Result: ...


BACKENDS: dict[str, Backend] = {"highs": solve_highs, "cpsat": solve_cpsat}
DEFAULT_BACKEND = "highs"


def register_backend(name: str, backend: Backend) -> None:
    """Add a backend by name (benchmarks plug in CBC this way; the runtime needs no PuLP)."""
    BACKENDS[name] = backend


def get_backend(name: str) -> Backend:
    key = DEFAULT_BACKEND if name == "auto" else name
    if key not in BACKENDS:
        raise SolverError(f"unknown backend '{name}'; choose from auto, {', '.join(BACKENDS)}")
    return BACKENDS[key]
