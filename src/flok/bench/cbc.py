"""CBC (through PuLP) as a circles backend, for benchmarks and the cross-backend test only.

Importing this module registers backend ``cbc`` with `flok.solvers.backends`; the runtime never
imports PuLP (it is the ``bench`` extra).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from flok.solvers.backends import Result, register_backend
from flok.solvers.linear import MatrixModel


def solve_cbc(
    model: MatrixModel, c: np.ndarray, time_limit: float, start: np.ndarray | None = None
) -> Result:
    """Minimize ``c @ x`` with CBC at a zero gap; ``start`` is not used (CBC gets no warm start here)."""
    with warnings.catch_warnings():
        # PuLP 3 deprecates the classic constructors this code shares with older PuLP versions.
        warnings.simplefilter("ignore", DeprecationWarning)
        return _solve_cbc(model, np.asarray(c, dtype=np.float64), time_limit)


def _solve_cbc(model: MatrixModel, c: np.ndarray, time_limit: float) -> Result:
    import pulp

    began = time.perf_counter()
    prob = pulp.LpProblem("flok", pulp.LpMinimize)
    cols = [
        pulp.LpVariable(
            f"v{j}",
            float(lo) if np.isfinite(lo) else None,
            float(hi) if np.isfinite(hi) else None,
            "Integer" if it else "Continuous",
        )
        for j, (lo, hi, it) in enumerate(zip(model.col_lo, model.col_hi, model.integer, strict=True))
    ]
    prob += pulp.LpAffineExpression([(cols[j], float(v)) for j, v in enumerate(c) if v])
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
    seconds = time.perf_counter() - began
    if pulp.LpStatus[prob.status] == "Infeasible":
        return Result("infeasible", None, seconds=seconds)
    x = np.array([v.varValue or 0.0 for v in cols])
    x = np.where(model.integer, np.rint(x), x)
    objective = float(c @ x)
    if prob.sol_status == pulp.LpSolutionOptimal:
        return Result("optimal", x, objective, objective, seconds)
    return Result("feasible", x, objective, float("-inf"), seconds)


register_backend("cbc", solve_cbc)
