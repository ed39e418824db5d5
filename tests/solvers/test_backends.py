"""The shared backends (HiGHS through SciPy, CP-SAT) agree with brute force on small integer programs.

The oracle enumerates every integer point of the box with plain Python integers; it shares no code
with `flok.solvers.linear` or `flok.solvers.backends`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flok.solvers.backends import CpSatModel, lp_relaxation, solve_cpsat, solve_highs
from flok.solvers.linear import LinearModel, dense_objective

INF = float("inf")

Program = tuple[list[tuple[int, int]], list[tuple[list[int], float, float]], list[int]]


@st.composite
def programs(draw: Any) -> Program:
    """Boxes of 1–4 integer variables, 0–4 rows (≤, ≥, = or ranges), an integer objective."""
    n = draw(st.integers(1, 4))
    bounds = []
    for _ in range(n):
        lo = draw(st.integers(-2, 2))
        bounds.append((lo, lo + draw(st.integers(0, 3))))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        coef = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
        kind = draw(st.sampled_from(["le", "ge", "eq", "range"]))
        a = draw(st.integers(-6, 6))
        b = a + draw(st.integers(0, 4))
        lo, hi = {"le": (-INF, a), "ge": (a, INF), "eq": (a, a), "range": (a, b)}[kind]
        rows.append((coef, float(lo), float(hi)))
    objective = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    return bounds, rows, objective


def brute_force(program: Program) -> int | None:
    """The minimum of the objective over every feasible integer point, or None when there is none."""
    bounds, rows, objective = program
    best: int | None = None
    for point in itertools.product(*(range(lo, hi + 1) for lo, hi in bounds)):
        if all(lo <= sum(a * x for a, x in zip(coef, point, strict=True)) <= hi for coef, lo, hi in rows):
            value = sum(c * x for c, x in zip(objective, point, strict=True))
            best = value if best is None or value < best else best
    return best


def model_of(program: Program) -> tuple[LinearModel, np.ndarray]:
    bounds, rows, objective = program
    lm = LinearModel()
    for var_lo, var_hi in bounds:
        lm.var(var_lo, var_hi)
    for coef, lo, hi in rows:
        lm.row(list(range(len(coef))), np.array(coef, dtype=float), lo, hi)
    return lm, dense_objective(lm.n_vars, np.arange(lm.n_vars), np.array(objective, dtype=float))


@settings(max_examples=150, deadline=None)
@given(programs())
# HiGHS's presolve answered "Solve error" here (x0 = x2 = 0 fixed, 2·x1 = 1): infeasible, not unknown.
@example(([(0, 0), (0, 2), (0, 0)], [([1, 2, 2], 1.0, 1.0)], [0, 0, 0]))
def test_highs_and_cpsat_reach_the_brute_force_optimum(program: Program) -> None:
    expected = brute_force(program)
    lm, c = model_of(program)
    matrix = lm.to_matrix()
    for res in (
        solve_highs(matrix, c, 10.0),
        solve_highs(matrix, c, 10.0, presolve=False),
        solve_cpsat(matrix, c, 10.0),
    ):
        if expected is None:
            assert res.status == "infeasible"
            assert res.x is None
            continue
        assert res.status == "optimal"
        assert res.x is not None
        assert res.objective == expected == res.bound
        x = [int(v) for v in res.x]
        assert brute_force(([(v, v) for v in x], program[1], program[2])) == expected  # x itself is feasible
    if expected is not None:
        assert lp_relaxation(matrix, c) <= expected + 1e-6  # the relaxation bounds the integer optimum


@settings(max_examples=40, deadline=None)
@given(programs(), st.integers(-8, 8))
def test_an_added_row_is_honoured_by_both_backends(program: Program, cap: int) -> None:
    """Stages fix an optimum by adding a row between solves (HiGHS: a new matrix; CP-SAT: in place)."""
    bounds, rows, objective = program
    coef = [1] * len(bounds)
    expected = brute_force((bounds, [*rows, (coef, -INF, float(cap))], objective))
    lm, c = model_of(program)
    idx, ones = np.arange(len(bounds)), np.ones(len(bounds))
    highs = solve_highs(lm.to_matrix().with_row(idx, ones, hi=cap), c, 10.0)
    cpsat = CpSatModel(lm.to_matrix())
    cpsat.add_row(idx, ones, hi=cap)
    for res in (highs, cpsat.solve(c, 10.0)):
        if expected is None:
            assert res.status == "infeasible"
        else:
            assert (res.status, res.objective) == ("optimal", expected)
