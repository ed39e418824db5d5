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
from flok.solvers import native as _native  # noqa: F401  (registers the strategy)
from flok.solvers.base import ProgressCallback, SolveResult, Strategy, choose
from flok.solvers.canonical import canonical_order
from flok.solvers.native import NativeFlowStrategy, WarmStart, solve_warm, warm_unsupported
from flok.solvers.verify import violations

NATIVE_STRATEGY = NativeFlowStrategy()


def _warm_choice(problem: Problem, strategy: str, warm: WarmStart | None) -> bool:
    """Whether to re-solve from ``warm`` on the native engine: asked for by name or by auto, and
    only where its plain network is the whole problem (the answer is the same optimum)."""
    return (
        warm is not None
        and strategy in ("auto", NativeFlowStrategy.name)
        and problem.options.seed is None
        and warm_unsupported(problem) is None
    )


def allocate(
    problem: Problem,
    strategy: str = "auto",
    *,
    progress: ProgressCallback | None = None,
    check: bool = True,
    warm: WarmStart | None = None,
) -> Allocation:
    """Solve ``problem`` with the named strategy (``auto`` picks the fastest exact one).

    With ``check`` (the default) the result is verified independently before it is returned,
    so a solver defect surfaces as SolverError instead of a wrong allocation. ``warm`` (a previous
    allocation's ``warm``) starts the native engine from that optimum where it applies; the
    answer is the same, found faster after a small change.
    """
    t0 = perf_counter()
    next_warm: WarmStart | None = None
    chosen: Strategy
    if _warm_choice(problem, strategy, warm):
        chosen, reason = NATIVE_STRATEGY, "re-solve from the previous optimum (warm start)"
        result: SolveResult
        result, next_warm = solve_warm(problem, warm, progress)
    else:
        chosen, reason = choose(problem, strategy)
        if problem.options.seed is None:
            if chosen.name == NativeFlowStrategy.name and warm_unsupported(problem) is None:
                result, next_warm = solve_warm(problem, None, progress)
            else:
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
        warm=next_warm,
    )
