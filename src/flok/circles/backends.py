"""Exact MIP backends behind one function signature, so the solver is chosen by measurement.

A model is plain arrays (maximize ``c @ x`` subject to ``row_lo <= A @ x <= row_hi``); each backend
translates it once. All coefficients are integers, so an absolute gap below 1 proves optimality.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from flok.errors import SolverError

INF = float("inf")


@dataclass(frozen=True)
class Mip:
    c: np.ndarray  # objective, maximized
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_hi: np.ndarray  # lower bounds are all 0
    integer: np.ndarray  # bool per column


@dataclass(frozen=True)
class MipResult:
    x: np.ndarray  # rounded to integers
    status: str  # "optimal" or "feasible" (time limit reached with a solution)
    objective: float
    bound: float  # best proven upper bound
    seconds: float

    @property
    def gap(self) -> float:
        return max(0.0, self.bound - self.objective)


Backend = Callable[[Mip, float], MipResult]


def solve_highs(model: Mip, time_limit: float) -> MipResult:
    """HiGHS through SciPy: ``highspy`` cannot share a process with OR-Tools (both ship libhighs)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    start = time.perf_counter()
    res = milp(
        c=-model.c.astype(np.float64),
        constraints=[LinearConstraint(model.A, model.row_lo, model.row_hi)],
        integrality=model.integer.astype(np.int8),
        bounds=Bounds(np.zeros(model.c.size), model.col_hi.astype(np.float64)),
        # The default relative gap (1e-4) can stop short of the optimum while reporting "Optimal".
        options={"time_limit": float(time_limit), "mip_rel_gap": 0.0, "presolve": True},
    )
    if res.x is None:
        raise SolverError(f"HiGHS found no solution: {res.message}")
    x = np.rint(res.x)
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and np.isfinite(dual) else INF
    return _result(model, x, res.status == 0, bound, start)


def solve_cbc(model: Mip, time_limit: float) -> MipResult:
    import pulp

    start = time.perf_counter()
    prob = pulp.LpProblem("circles", pulp.LpMaximize)
    cols = [
        pulp.LpVariable(
            f"v{j}", 0, None if not np.isfinite(hi) else float(hi), "Integer" if it else "Continuous"
        )
        for j, (hi, it) in enumerate(zip(model.col_hi, model.integer, strict=True))
    ]
    prob += pulp.LpAffineExpression([(cols[j], float(v)) for j, v in enumerate(model.c) if v])
    A = model.A.tocsr()
    for r in range(A.shape[0]):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [(cols[j], float(v)) for j, v in zip(A.indices[lo:hi], A.data[lo:hi], strict=True)]
        )
        if model.row_lo[r] == model.row_hi[r]:
            prob += expr == float(model.row_lo[r])
            continue
        if np.isfinite(model.row_lo[r]):
            prob += expr >= float(model.row_lo[r])
        if np.isfinite(model.row_hi[r]):
            prob += expr <= float(model.row_hi[r])
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=0.0, gapAbs=0.999, threads=1)
    prob.solve(solver)
    if pulp.LpStatus[prob.status] == "Infeasible":
        raise SolverError("CBC: model infeasible")
    x = np.rint(np.array([v.varValue or 0.0 for v in cols]))
    optimal = prob.sol_status == pulp.LpSolutionOptimal
    bound = float(model.c @ x) if optimal else INF
    return _result(model, x, optimal, bound, start)


def solve_cpsat(model: Mip, time_limit: float) -> MipResult:
    from ortools.sat.python import cp_model

    start = time.perf_counter()
    m = cp_model.CpModel()
    big = 10**9
    xs = [m.new_int_var(0, int(min(hi, big)), f"v{j}") for j, hi in enumerate(model.col_hi)]
    A = model.A.tocsr()
    for r in range(A.shape[0]):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        terms = sum(int(v) * xs[j] for j, v in zip(A.indices[lo:hi], A.data[lo:hi], strict=True))
        rlo = int(model.row_lo[r]) if np.isfinite(model.row_lo[r]) else -big
        rhi = int(model.row_hi[r]) if np.isfinite(model.row_hi[r]) else big
        m.add_linear_constraint(terms, rlo, rhi)
    m.maximize(sum(int(v) * xs[j] for j, v in enumerate(model.c) if v))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverError(f"CP-SAT: {solver.status_name(status)}")
    x = np.array([solver.value(v) for v in xs], dtype=np.float64)
    return _result(model, x, status == cp_model.OPTIMAL, float(solver.best_objective_bound), start)


def _result(model: Mip, x: np.ndarray, optimal: bool, bound: float, start: float) -> MipResult:
    objective = float(model.c @ x)
    if optimal:
        bound = objective
    return MipResult(x, "optimal" if optimal else "feasible", objective, bound, time.perf_counter() - start)


BACKENDS: dict[str, Backend] = {"highs": solve_highs, "cbc": solve_cbc, "cpsat": solve_cpsat}
DEFAULT_BACKEND = "highs"


def get_backend(name: str) -> Backend:
    key = DEFAULT_BACKEND if name == "auto" else name
    if key not in BACKENDS:
        raise SolverError(f"unknown backend '{name}'; choose from auto, {', '.join(BACKENDS)}")
    return BACKENDS[key]
