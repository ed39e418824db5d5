"""The min-cost-flow strategy (OR-Tools SimpleMinCostFlow), built and read back in bulk.

Ranked mode uses the fastest formulation measured here: participants are supply nodes (+1),
opportunities demand nodes (−capacity), one arc per ranked pair with cost = rank, and
``solve_max_flow_with_min_cost`` — exactly "most seats, then lowest total rank", with no
source, sink, dummy node or big-M penalty. ``fill_unlisted`` routes every participant
through one hub node (participant → hub at max_rank + 2, hub → each opportunity), which is
exact and avoids one arc per unranked pair. Score mode maximizes total score: a sink node
lets a participant stay unseated at cost 0 when ``allow_unassigned`` is true.
"""

from __future__ import annotations

from time import perf_counter

import numpy as np
from ortools.graph.python import min_cost_flow

from flok.errors import SolverError
from flok.model import Problem
from flok.solvers.base import Progress, ProgressCallback, SolveResult, register
from flok.solvers.diagnose import shortfall_error

# Scores are scaled to integers with this resolution unless they already are integers.
SCORE_RESOLUTION = 1_000_000
_INT_SAFE = 2**62


def score_costs(score: np.ndarray) -> tuple[np.ndarray, float]:
    """Integer costs (negated, scaled scores) and the scale used."""
    if score.size == 0:
        return np.zeros(0, dtype=np.int64), 1.0
    top = float(np.abs(score).max())
    if np.all(score == np.round(score)) and top <= SCORE_RESOLUTION * 10:
        scale = 1.0
    else:
        scale = SCORE_RESOLUTION / top if top > 0 else 1.0
    return -np.round(score * scale).astype(np.int64), scale


def tie_break(costs: list[np.ndarray], n: int, seed: int) -> list[np.ndarray]:
    """Perturb costs so a seeded lottery picks among the equal-cost optima, exactly.

    Each cost c becomes c·M + ε with 0 ≤ ε < K and M > n·(K−1): the total perturbation of
    any allocation (one unit leaves each participant) stays below M, so allocations keep
    their order by original cost and only ties are reordered. The other arcs cost 0.
    """
    rng = np.random.default_rng(seed)
    top = max((int(np.abs(c).max()) for c in costs if c.size), default=1) + 2
    k = 1000
    while k > 2 and (n * (k - 1) + 1) * top * max(n, 1) * 2 >= _INT_SAFE:
        k //= 2
    big = n * (k - 1) + 1
    out = []
    for c in costs:
        eps = rng.integers(0, k, size=c.size, dtype=np.int64)
        out.append(c * big + eps)
    return out


class FlowStrategy:
    name = "min_cost_flow"
    priority = 10

    def unsupported(self, problem: Problem) -> str | None:
        return None

    def solve(self, problem: Problem, progress: ProgressCallback | None = None) -> SolveResult:
        t0 = perf_counter()
        n, m = problem.n_participants, problem.n_opportunities
        opts = problem.options
        acc = problem.acceptable()
        pp = problem.pref_participant[acc]
        po = problem.pref_opportunity[acc]
        if problem.rank is not None:
            base = problem.rank[acc].astype(np.int64)
        else:
            assert problem.score is not None
            base, _ = score_costs(problem.score[acc])

        hub = n + m
        sink = n + m + 1
        tails = [pp]
        heads = [po + n]
        caps = [np.ones(pp.size, dtype=np.int64)]
        costs = [base]
        everyone = np.arange(n, dtype=np.int64)
        opp_nodes = np.arange(m, dtype=np.int64) + n
        if opts.fill_unlisted:
            tails += [everyone, np.full(m, hub, dtype=np.int64)]
            heads += [np.full(n, hub, dtype=np.int64), opp_nodes]
            caps += [np.ones(n, dtype=np.int64), problem.capacity]
            costs += [np.full(n, problem.unlisted_rank, dtype=np.int64), np.zeros(m, dtype=np.int64)]
        optional_seats = problem.score is not None and opts.allow_unassigned
        if optional_seats:
            tails += [opp_nodes, everyone]
            heads += [np.full(m, sink, dtype=np.int64), np.full(n, sink, dtype=np.int64)]
            caps += [problem.capacity, np.ones(n, dtype=np.int64)]
            costs += [np.zeros(m, dtype=np.int64), np.zeros(n, dtype=np.int64)]
        if opts.seed is not None:
            # Only arcs that leave a participant carry a choice worth randomizing.
            leaving = [i for i, t in enumerate(tails) if t is pp or t is everyone]
            perturbed = tie_break([costs[i] for i in leaving], n, opts.seed)
            for i, c in zip(leaving, perturbed, strict=True):
                costs[i] = c

        smcf = min_cost_flow.SimpleMinCostFlow()
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
        )
        nodes = np.arange(n + m + 2, dtype=np.int64)
        supply = np.zeros(n + m + 2, dtype=np.int64)
        supply[:n] = 1
        if optional_seats:
            supply[sink] = -n
        else:
            supply[n : n + m] = -problem.capacity
        smcf.set_nodes_supplies(nodes, supply)
        t1 = perf_counter()
        if progress:
            progress(Progress("solving min-cost flow", fraction=0.0, seconds=t1 - t0))
        status = smcf.solve() if optional_seats else smcf.solve_max_flow_with_min_cost()
        t2 = perf_counter()
        if status != smcf.OPTIMAL:
            raise SolverError(f"min-cost flow ended with status {status.name}")

        e = pp.size
        flows = smcf.flows(arcs[:e])
        chosen = flows > 0
        part = pp[chosen]
        opp = po[chosen]
        if opts.fill_unlisted:
            via_hub = np.flatnonzero(smcf.flows(arcs[e : e + n]) > 0)
            hub_opp = np.repeat(np.arange(m, dtype=np.int64), smcf.flows(arcs[e + n : e + n + m]))
            if opts.seed is not None:
                np.random.default_rng(opts.seed + 1).shuffle(hub_opp)
            part = np.concatenate([part, via_hub])
            opp = np.concatenate([opp, hub_opp])
        order = np.argsort(part, kind="stable")
        part, opp = part[order], opp[order]
        t3 = perf_counter()
        if progress:
            progress(Progress("min-cost flow solved", fraction=1.0, seconds=t3 - t0))
        if not opts.allow_unassigned and part.size < n:
            raise shortfall_error(problem, part, opp)
        return SolveResult(
            participant=part,
            opportunity=opp,
            status="optimal",
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            decode_seconds=t3 - t2,
        )


register(FlowStrategy())
