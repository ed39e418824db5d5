"""Lexicographic (rank-maximal) allocation by successive min-cost flows, exact at any size.

Stage 0 maximizes the seats given; stage k then minimizes the seats worse than choice k.
Exponential level weights would do this in one solve but overflow 64-bit costs beyond tiny
instances, so each stage uses 0/1 costs and then *fixes its optimal face*: with node
potentials π from shortest paths in the residual graph, every arc with reduced cost
c + π(u) − π(v) > 0 carries its lower bound in every optimal flow and every arc with
reduced cost < 0 its upper bound (complementary slackness). Fixing those arcs leaves exactly
the flows that are optimal for this stage, so later stages can only choose among them.

The network is a circulation: s → participant [0, max_seats], participant → opportunity
[0, 1] per acceptable pair (or through the fill_unlisted hub), opportunity → t
[0, capacity], and t → s. Lower bounds become node supplies for OR-Tools.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from flok.errors import SolverError
from flok.model import Problem
from flok.solvers.costs import Arcs


def _potentials(n_nodes: int, tails: np.ndarray, heads: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Shortest distances from a virtual root joined to every node (Bellman–Ford, vectorized).

    The residual graph of an optimal flow has no negative cycle, so this converges; the
    number of rounds is the longest shortest path in arcs (a few dozen in practice).
    """
    dist = np.zeros(n_nodes)
    for _ in range(n_nodes + 1):
        cand = dist[tails] + weights
        new = dist.copy()
        np.minimum.at(new, heads, cand)
        if np.array_equal(new, dist):
            return dist
        dist = new
    raise SolverError("negative cycle in an optimal residual graph (solver defect)")


def lexicographic(
    problem: Problem,
    arcs: Arcs,
    *,
    hub: bool,
    final_cost: np.ndarray | None = None,
    hub_cost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Seats maximizing the seats given, then minimizing worse-than-k counts, k = 1, 2, ...

    ``final_cost`` (per pair arc) and ``hub_cost`` (per participant's hub arc) break the
    remaining ties: penalties, or a seeded lottery.
    """
    n, m = problem.n_participants, problem.n_opportunities
    seats = problem.seats_allowed()
    s_node, t_node, hub_node = n + m, n + m + 1, n + m + 2
    n_nodes = n + m + 3
    everyone = np.arange(n, dtype=np.int64)
    opp_nodes = np.arange(m, dtype=np.int64) + n
    tails = [np.full(n, s_node), arcs.participant, opp_nodes]
    heads = [everyone, arcs.opportunity + n, np.full(m, t_node)]
    upper = [seats, np.ones(arcs.size, dtype=np.int64), problem.capacity]
    rank = [np.zeros(n, dtype=np.int64), arcs.rank, np.zeros(m, dtype=np.int64)]
    if hub:
        tails += [everyone, np.full(m, hub_node)]
        heads += [np.full(n, hub_node), opp_nodes]
        upper += [seats, problem.capacity]
        rank += [np.full(n, problem.unlisted_rank, dtype=np.int64), np.zeros(m, dtype=np.int64)]
    total = int(seats.sum())
    tails.append(np.array([t_node]))
    heads.append(np.array([s_node]))
    upper.append(np.array([total]))
    rank.append(np.zeros(1, dtype=np.int64))
    tail = np.concatenate(tails).astype(np.int64)
    head = np.concatenate(heads).astype(np.int64)
    lo = np.zeros(tail.size, dtype=np.int64)
    hi = np.concatenate(upper).astype(np.int64)
    rk = np.concatenate(rank)
    back = tail.size - 1  # the t → s arc
    levels = int(rk.max(initial=0))

    def level(k: int) -> np.ndarray:
        if k == 0:  # maximize the circulation through t → s: the seats given
            out = np.zeros(tail.size, dtype=np.int64)
            out[back] = -1
            return out
        return (rk > k).astype(np.int64)

    # One level per solve: pairing levels with a weight halves the solves but makes each
    # cost-scaling solve over twice as slow (measured), so 0/1 costs it is.
    flow = np.zeros(tail.size, dtype=np.int64)
    for k in range(levels):
        if k and not ((lo < hi) & (rk > k)).any():
            continue  # no free arc is worse than choice k: this level's count is already fixed
        cost = level(k)
        flow = _solve_stage(n_nodes, tail, head, lo, hi, cost)
        free = lo < hi
        fwd = free & (flow < hi)
        bwd = free & (flow > lo)
        d = _potentials(
            n_nodes,
            np.concatenate([tail[fwd], head[bwd]]),
            np.concatenate([head[fwd], tail[bwd]]),
            np.concatenate([cost[fwd], -cost[bwd]]).astype(np.float64),
        )
        reduced = cost + d[tail] - d[head]
        hi = np.where(free & (reduced > 1e-9), lo, hi)
        lo = np.where(free & (reduced < -1e-9), hi, lo)
        if not (lo < hi).any():
            break
    # Every flow left in the final face is lexicographically optimal; break ties by final_cost.
    last = np.zeros(tail.size, dtype=np.int64)
    if final_cost is not None:
        last[n : n + arcs.size] = final_cost
    if hub and hub_cost is not None:
        last[n + arcs.size + m : n + arcs.size + m + n] = hub_cost
    if final_cost is not None or (hub and hub_cost is not None):
        flow = _solve_stage(n_nodes, tail, head, lo, hi, last)
    pairs = slice(n, n + arcs.size)
    chosen = flow[pairs] > 0
    part, opp = arcs.participant[chosen], arcs.opportunity[chosen]
    if hub:
        start = n + arcs.size + m
        via_hub = np.repeat(everyone, flow[start : start + n])
        hub_opp = np.repeat(np.arange(m, dtype=np.int64), flow[start + n : start + n + m])
        part = np.concatenate([part, via_hub])
        opp = np.concatenate([opp, hub_opp])
    return part, opp


def _solve_stage(
    n_nodes: int, tail: np.ndarray, head: np.ndarray, lo: np.ndarray, hi: np.ndarray, cost: np.ndarray
) -> np.ndarray:
    """Min-cost circulation with bounds lo ≤ flow ≤ hi; returns the flow on every arc."""
    supply = np.zeros(n_nodes, dtype=np.int64)
    np.add.at(supply, tail, -lo)
    np.add.at(supply, head, lo)
    free = np.flatnonzero(lo < hi)
    smcf = min_cost_flow.SimpleMinCostFlow()
    ids = smcf.add_arcs_with_capacity_and_unit_cost(tail[free], head[free], hi[free] - lo[free], cost[free])
    smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise SolverError(f"lexicographic stage ended with status {status.name}")
    flow = lo.copy()
    flow[free] += smcf.flows(ids)
    return flow
