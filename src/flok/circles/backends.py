"""Exact MIP backends behind one function signature, so the solver is chosen by measurement.

A model is plain arrays (maximize ``c @ x`` subject to ``row_lo <= A @ x <= row_hi``); each backend
translates it once. All coefficients are integers, so an absolute gap below 1 proves optimality.
"""

from __future__ import annotations

import time
import warnings
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


Backend = Callable[[Mip, float, np.ndarray | None], MipResult]


PRESOLVE_OFF_BELOW = 4000  # columns


def solve_highs(model: Mip, time_limit: float, start: np.ndarray | None = None) -> MipResult:
    """HiGHS as vendored by SciPy (the ``highspy`` wheel cannot share a process with OR-Tools:
    both ship libhighs). The full interface takes a warm start; plain ``milp`` is the fallback."""
    try:
        from scipy.optimize._highspy import _core as hs
    except ImportError:  # pragma: no cover - older or newer SciPy layouts
        return _solve_milp(model, time_limit)
    began = time.perf_counter()
    h = hs._Highs()
    for key, value in (
        ("output_flag", False),
        ("threads", 1),
        ("time_limit", float(time_limit)),
        # The default relative gap (1e-4) can stop short of the optimum while reporting "Optimal";
        # coefficients are integers, so an absolute gap below 1 proves optimality.
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 0.999),
    ):
        h.setOptionValue(key, value)
    n = model.c.size
    if n <= PRESOLVE_OFF_BELOW:
        # Measured (docs/circles.md): on small regions HiGHS proves optimality about twice as
        # fast without presolve (1,000 participants: 4.7 s → 2.2 s); on large ones presolve wins.
        h.setOptionValue("presolve", "off")
    lp = hs.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = model.A.shape[0]
    scale = objective_step(model.c)
    lp.col_cost_ = -model.c.astype(np.float64) / scale
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = model.col_hi.astype(np.float64)
    lp.row_lower_ = np.where(np.isfinite(model.row_lo), model.row_lo, -hs.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(model.row_hi), model.row_hi, hs.kHighsInf)
    csc = model.A.tocsc()
    lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.integrality_ = [hs.HighsVarType.kInteger if f else hs.HighsVarType.kContinuous for f in model.integer]
    h.passModel(lp)
    if start is not None:
        h.setSolution(n, np.arange(n, dtype=np.int32), start.astype(np.float64))
    h.run()
    status = h.getModelStatus()
    if status == hs.HighsModelStatus.kInfeasible:
        raise SolverError("HiGHS: model infeasible")
    sol = np.asarray(h.getSolution().col_value, dtype=np.float64)
    if sol.size != n or not h.getInfo().primal_solution_status:
        raise SolverError(f"HiGHS found no solution in time ({h.modelStatusToString(status)})")
    bound = -float(h.getInfo().mip_dual_bound) * scale
    return _result(model, np.rint(sol), status == hs.HighsModelStatus.kOptimal, bound, began)


def objective_step(c: np.ndarray) -> float:
    """The greatest common divisor of the objective: objective values move in steps of it, so an
    absolute gap below one step (after dividing by it) already proves optimality."""
    ints = np.abs(np.rint(c)).astype(np.int64)
    if not np.array_equal(ints, np.abs(c)) or not ints.any():
        return 1.0
    return float(np.gcd.reduce(ints[ints > 0]))


def _solve_milp(model: Mip, time_limit: float) -> MipResult:
    from scipy.optimize import Bounds, LinearConstraint, milp

    start = time.perf_counter()
    res = milp(
        c=-model.c.astype(np.float64),
        constraints=[LinearConstraint(model.A, model.row_lo, model.row_hi)],
        integrality=model.integer.astype(np.int8),
        bounds=Bounds(np.zeros(model.c.size), model.col_hi.astype(np.float64)),
        options={"time_limit": float(time_limit), "mip_rel_gap": 0.0, "presolve": True},
    )
    if res.x is None:
        raise SolverError(f"HiGHS found no solution: {res.message}")
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and np.isfinite(dual) else INF
    return _result(model, np.rint(res.x), res.status == 0, bound, start)


def solve_cbc(model: Mip, time_limit: float, start: np.ndarray | None = None) -> MipResult:
    with warnings.catch_warnings():
        # PuLP 3 deprecates the classic constructors this code shares with older PuLP versions.
        warnings.simplefilter("ignore", DeprecationWarning)
        return _solve_cbc(model, time_limit)


def _solve_cbc(model: Mip, time_limit: float) -> MipResult:
    import pulp

    began = time.perf_counter()
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
    return _result(model, x, optimal, bound, began)


def solve_cpsat(model: Mip, time_limit: float, start: np.ndarray | None = None) -> MipResult:
    from ortools.sat.python import cp_model

    began = time.perf_counter()
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
    if start is not None:
        for var, value in zip(xs, start, strict=True):
            m.add_hint(var, int(value))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverError(f"CP-SAT: {solver.status_name(status)}")
    x = np.array([solver.value(v) for v in xs], dtype=np.float64)
    return _result(model, x, status == cp_model.OPTIMAL, float(solver.best_objective_bound), began)


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
