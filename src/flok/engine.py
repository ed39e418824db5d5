"""``allocate``: the one public entry point of seat allocation."""

from __future__ import annotations

from dataclasses import replace
from time import perf_counter

from flok.allocation import Allocation, compute_stats
from flok.errors import SolverError
from flok.explain import explanations
from flok.model import Problem
from flok.solvers import cpsat as _cpsat  # noqa: F401  (registers the strategy)
from flok.solvers import flow as _flow  # noqa: F401  (registers the strategy)
from flok.solvers import mip as _mip  # noqa: F401  (registers the strategy)
from flok.solvers.base import ProgressCallback, choose
from flok.solvers.canonical import canonical_order
from flok.solvers.verify import violations


def allocate(
    problem: Problem, strategy: str = "auto", *, progress: ProgressCallback | None = None, check: bool = True
) -> Allocation:
    """Solve ``problem`` with the named strategy (``auto`` picks the fastest exact one).

    With ``check`` (the default) the result is verified independently before it is returned,
    so a solver defect surfaces as SolverError instead of a wrong allocation.
    """
    t0 = perf_counter()
    chosen, reason = choose(problem, strategy)
    if problem.options.seed is None:
        result = chosen.solve(problem, progress)
    else:  # a seeded lottery must not depend on the order of the input rows (canonical.py)
        ordered, back = canonical_order(problem)
        result = back(chosen.solve(ordered, progress))
    if check:
        broken = violations(problem, result.participant, result.opportunity)
        if broken:
            raise SolverError(f"{chosen.name} returned an invalid allocation: {broken[0]}")
    stats = compute_stats(problem, result.participant, result.opportunity)
    stats = replace(
        stats,
        build_seconds=result.build_seconds,
        solve_seconds=result.solve_seconds,
        decode_seconds=result.decode_seconds,
        total_seconds=perf_counter() - t0,
    )
    return Allocation(
        problem=problem,
        participant=result.participant,
        opportunity=result.opportunity,
        status=result.status,
        strategy=chosen.name,
        strategy_reason=reason,
        stats=stats,
        details=dict(result.details),
        explainer=explanations,
    )
