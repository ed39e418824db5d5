"""The ``native_flow`` strategy: the flow formulations of `flow`, solved by Flok's compiled core.

Every network is the one ``min_cost_flow`` builds (plain, fill_unlisted's unlisted node, score
sink, the lower-bound circulations and the lexicographic 0/1 levels), so the two strategies
optimize the very same thing; only the engine differs (`engines`). ``native_flow`` honours
exactly the problems ``min_cost_flow`` honours, and only when the C extension is built.

Two compiled cores share the engine: the plain network (one layer of unit arcs from participants
to opportunities and the unlisted node: ``sum`` and ``maximin``, with or without fill_unlisted,
without a score sink) goes to cost scaling
(_scaling.c), which `flok bench allocate` measures 2–3× faster than OR-Tools at every size; the
other shapes go to successive shortest paths (_flowcore.c), faster than OR-Tools only on small
networks; lexicographic stages on the plain network go to cost scaling too (`lexscaling`).
``auto`` prefers ``native_flow`` accordingly (`auto_declines`). Seeded lotteries
(perturbed costs are huge numbers, where OR-Tools' cost scaling needs no 64-bit headroom for
prices) stay on OR-Tools; asking for ``native_flow`` by name still runs them, exactly.

Warm start (`WarmStart`, `solve_warm`): the previous seats and node potentials, matched to the new
problem by participant and opportunity ids, start the engine, which repairs whatever is no longer
optimal and reaches the same optimum as a cold solve.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np

from flok.model import Problem
from flok.solvers.base import Progress, ProgressCallback, SolveResult, register
from flok.solvers.costs import build_arcs
from flok.solvers.diagnose import shortfall_error
from flok.solvers.engines import (
    NATIVE,
    NATIVE_AVAILABLE,
    NATIVE_MISSING,
    WARM_NEW,
    NativeStart,
    native_cost_range,
    native_solve,
    scaling_fits,
)
from flok.solvers.flow import FlowStrategy, _first_seat, _lottery, _out_of_range, _seat_units
from flok.solvers.lexscaling import stage_span
from flok.solvers.plain import PlainNetwork, plain_network

AUTO_MAX_PAIRS = 20_000
"""``auto`` takes the successive-shortest-path core (networks other than the plain one) up to
this many ranked pairs: measured on 2 cores, it is 2–6× faster than OR-Tools at 1k × 50 (6.5k
pairs), level at 10k × 500 (65k pairs) and slower beyond (one Dijkstra per rise of the marginal
cost). The plain network has no limit: its cost-scaling core is faster at every measured size."""


def plain_shape(problem: Problem) -> bool:
    """Whether the network of ``problem`` is the plain one (one layer of unit arcs, solved by cost
    scaling): objective ``sum`` or ``maximin`` (fill_unlisted or not), no score sink for people
    allowed to stay unseated, no circulation for "at least one seat each"."""
    opts = problem.options
    sink = problem.score is not None and opts.allow_unassigned and opts.objective == "sum"
    if opts.objective not in ("sum", "maximin"):
        return False
    return not sink and not _first_seat(problem)


def levels_shape(problem: Problem) -> bool:
    """Whether ``problem`` is lexicographic on the plain network (with or without the unlisted
    node; no "at least one seat each", no lottery), whose stages the cost-scaling core solves
    (`lexscaling`)."""
    opts = problem.options
    return opts.objective == "lexicographic" and not _first_seat(problem) and opts.seed is None


def _cost_span(problem: Problem) -> int:
    """Largest cost less smallest over the plain network's arcs (ranks need no arcs to tell)."""
    if problem.rank is not None and problem.penalty is None:
        return max(int(problem.rank.max(initial=0)), problem.unlisted_rank)
    arcs = build_arcs(problem)
    unlisted = [arcs.unlisted_cost] if problem.options.fill_unlisted else []
    cost = np.concatenate([arcs.cost, np.array(unlisted, dtype=np.int64)])
    return int(cost.max(initial=0)) - int(cost.min(initial=0))


def _scaling_fits(problem: Problem) -> bool:
    """`engines.scaling_fits` for the network(s) of ``problem`` on the cost-scaling core; a
    lexicographic stage's costs include rewards (`lexscaling.stage_span`)."""
    span = _cost_span(problem)
    if problem.options.objective == "lexicographic":
        tie_break = problem.score is not None or problem.penalty is not None
        k = min(_seat_units(problem), problem.n_participants, problem.n_opportunities + 2)
        span = stage_span(k, span if tie_break else 1)
    return scaling_fits(problem.n_participants, problem.n_opportunities, span)


class NativeFlowStrategy(FlowStrategy):
    """`FlowStrategy`'s exact networks on Flok's compiled cores (cost scaling for the plain network,
    successive shortest paths for the others)."""

    name = "native_flow"
    priority = 5
    engine = NATIVE

    def unsupported(self, problem: Problem) -> str | None:
        if not NATIVE_AVAILABLE:
            return NATIVE_MISSING
        why = super().unsupported(problem)
        if why:
            return why
        # The networks here have at most n + m + 3 nodes, plus the engine's source and sink.
        return _out_of_range(problem, native_cost_range(problem.n_participants + problem.n_opportunities + 5))

    def auto_declines(self, problem: Problem) -> str | None:
        """Why ``auto`` should leave this exact problem to OR-Tools (speed, measured), or None."""
        if problem.options.seed is not None:
            return "a seeded lottery makes costs huge numbers, where OR-Tools' cost scaling is faster"
        scaling = plain_shape(problem) or levels_shape(problem)
        if scaling and not _scaling_fits(problem):
            return "its costs are too wide for the cost-scaling core's 64-bit prices at this size"
        if not scaling and problem.n_preferences > AUTO_MAX_PAIRS:
            return (
                f"{problem.n_preferences:,} ranked pairs is beyond the {AUTO_MAX_PAIRS:,} up to which "
                "its shortest-path core is measured faster than OR-Tools on this network's shape"
            )
        return None


@dataclass(frozen=True)
class WarmStart:
    """What a re-solve needs from a previous plain solve: its seats and its node potentials.

    ``potential`` holds one value per node of the plain network (participants, opportunities,
    hub, sink) plus the engine's source and sink; ids match nodes from one problem to the next.
    """

    participant_ids: np.ndarray
    opportunity_ids: np.ndarray
    participant: np.ndarray
    opportunity: np.ndarray
    potential: np.ndarray
    scale: np.ndarray | None = None  # what the potentials are in (see engines.NativeStart)


def warm_unsupported(problem: Problem) -> str | None:
    """Why `solve_warm` cannot solve ``problem`` (None when it can): plain networks only."""
    why = NativeFlowStrategy().unsupported(problem)
    if why:
        return why
    if problem.options.objective != "sum":
        return f"the objective '{problem.options.objective}' solves several networks in turn"
    if _first_seat(problem):
        return "at least one seat each with several seats allowed is a circulation with lower bounds"
    return None


def _positions(new_ids: np.ndarray, old_ids: np.ndarray) -> np.ndarray:
    """For each new id, its index among ``old_ids`` (−1 when it is new); vectorized."""
    if old_ids.size == 0:
        return np.full(new_ids.size, -1, dtype=np.int64)
    old = np.asarray(old_ids, dtype=str)
    new = np.asarray(new_ids, dtype=str)
    order = np.argsort(old, kind="stable")
    at = np.clip(np.searchsorted(old[order], new), 0, old.size - 1)
    found = old[order][at] == new
    return np.where(found, order[at], -1).astype(np.int64)


def _start(net: PlainNetwork, warm: WarmStart) -> NativeStart:
    """The previous optimum carried over to ``net``: seats by id, potentials by node."""
    problem = net.problem
    n, m = problem.n_participants, problem.n_opportunities
    old_n, old_m = warm.participant_ids.size, warm.opportunity_ids.size
    old_pot = warm.potential
    source, sink = old_pot[old_n + old_m + 2], old_pot[old_n + old_m + 3]
    pmap = _positions(problem.participant_ids, warm.participant_ids)
    omap = _positions(problem.opportunity_ids, warm.opportunity_ids)
    pot = np.zeros(n + m + 4, dtype=np.int64)
    if warm.scale is not None:  # the cost-scaling core prices new nodes itself
        source = sink = WARM_NEW
    # Otherwise a newcomer starts level with the source (it has its whole supply left), a new
    # opportunity level with the sink (all its seats free); the engine repairs what is not optimal.
    pot[:n] = np.where(pmap >= 0, old_pot[np.maximum(pmap, 0)], source)
    pot[n : n + m] = np.where(omap >= 0, old_pot[old_n + np.maximum(omap, 0)], sink)
    pot[n + m :] = old_pot[old_n + old_m : old_n + old_m + 4]
    new_p = np.full(old_n, -1, dtype=np.int64)
    new_p[pmap[pmap >= 0]] = np.flatnonzero(pmap >= 0)
    new_o = np.full(old_m, -1, dtype=np.int64)
    new_o[omap[omap >= 0]] = np.flatnonzero(omap >= 0)
    part, opp = new_p[warm.participant], new_o[warm.opportunity]
    kept = (part >= 0) & (opp >= 0)
    return NativeStart(flow=net.start_flow(part[kept], opp[kept]), potential=pot, scale=warm.scale)


def solve_warm(
    problem: Problem, warm: WarmStart | None = None, progress: ProgressCallback | None = None
) -> tuple[SolveResult, WarmStart]:
    """The plain optimum of ``problem``, started from ``warm`` (a previous solve's `WarmStart`).

    The answer is the same optimum as a cold solve (seats, then total rank or score); only the
    work differs. Returns the result and the `WarmStart` for the next re-solve.
    """
    why = warm_unsupported(problem)
    if why:
        raise ValueError(f"solve_warm cannot solve this problem: {why}")
    t0 = perf_counter()
    arcs = build_arcs(problem)
    mask = np.ones(arcs.size, dtype=bool)
    net = plain_network(
        problem,
        arcs,
        arcs.cost,
        arcs.unlisted_cost,
        mask,
        hub=problem.options.fill_unlisted,
        perturb=_lottery(problem),
    )
    start = _start(net, warm) if warm is not None else None
    t1 = perf_counter()
    if progress:
        progress(Progress("solving min-cost flow", fraction=0.0, seconds=t1 - t0))
    sol = native_solve(
        net.n_nodes, net.tail, net.head, net.cap, net.cost, net.supply, max_flow=net.max_flow, start=start
    )
    t2 = perf_counter()
    part, opp = net.decode(sol.flow)
    if not problem.options.allow_unassigned and np.unique(part).size < problem.n_participants:
        raise shortfall_error(problem, part, opp)
    potential = np.zeros(net.n_nodes + 2, dtype=np.int64)
    potential[: sol.potential.size] = sol.potential
    t3 = perf_counter()
    if progress:
        progress(Progress("min-cost flow solved", fraction=1.0, seconds=t3 - t0))
    result = SolveResult(
        participant=part,
        opportunity=opp,
        status="optimal",
        build_seconds=t1 - t0,
        solve_seconds=t2 - t1,
        decode_seconds=t3 - t2,
        details={"warm_start": True} if warm is not None else {},
    )
    nxt = WarmStart(problem.participant_ids, problem.opportunity_ids, part, opp, potential, sol.scale)
    return result, nxt


register(NativeFlowStrategy())
