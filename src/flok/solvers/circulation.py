"""Min-cost circulations with lower bounds on OR-Tools, and fixing a stage's optimal face.

The participant network every exact flow path shares: s → participant [lo, max_seats],
participant → opportunity [0, 1] per acceptable pair (optionally through the fill_unlisted
hub), opportunity → t [0, capacity], and t → s closing the circulation. A lower bound of 1
on s → participant is how the flow says "at least one seat each" (allow_unassigned=false
with several seats) exactly, while seats beyond the first stay optional and are still
weighed by the objective. Lower bounds become node supplies for the flow engine (OR-Tools or
Flok's native core, `engines`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flok.errors import SolverError
from flok.model import Problem
from flok.solvers.costs import Arcs
from flok.solvers.engines import ORTOOLS, FlowEngine


@dataclass
class Network:
    """Arrays per arc (tail, head, bounds, rank) plus where each kind of arc sits."""

    tail: np.ndarray
    head: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    rank: np.ndarray  # the seat's rank on pair and participant → hub arcs, 0 elsewhere
    pairs: slice  # participant → opportunity arcs, parallel to the masked arcs
    hub_in: slice  # participant → hub (empty without a hub)
    hub_out: slice  # hub → opportunity (empty without a hub)
    back: int  # the t → s arc: its flow is the number of seats given
    n_nodes: int


def participant_network(
    problem: Problem, arcs: Arcs, mask: np.ndarray | None = None, *, hub: bool, first_seat: bool
) -> Network:
    """The circulation above; ``first_seat`` puts a lower bound of 1 on every s → participant arc."""
    n, m = problem.n_participants, problem.n_opportunities
    seats = problem.seats_allowed()
    keep = np.ones(arcs.size, dtype=bool) if mask is None else mask
    pp, po, pr = arcs.participant[keep], arcs.opportunity[keep], arcs.rank[keep]
    s_node, t_node, hub_node = n + m, n + m + 1, n + m + 2
    everyone = np.arange(n, dtype=np.int64)
    opp_nodes = np.arange(m, dtype=np.int64) + n
    tails = [np.full(n, s_node), pp, opp_nodes]
    heads = [everyone, po + n, np.full(m, t_node)]
    upper = [seats, np.ones(pp.size, dtype=np.int64), problem.capacity]
    rank = [np.zeros(n, dtype=np.int64), pr, np.zeros(m, dtype=np.int64)]
    start = n + pp.size + m
    hub_in, hub_out = slice(start, start), slice(start, start)
    if hub:
        tails += [everyone, np.full(m, hub_node)]
        heads += [np.full(n, hub_node), opp_nodes]
        upper += [seats, problem.capacity]
        rank += [np.full(n, problem.unlisted_rank, dtype=np.int64), np.zeros(m, dtype=np.int64)]
        hub_in, hub_out = slice(start, start + n), slice(start + n, start + n + m)
    tails.append(np.array([t_node]))
    heads.append(np.array([s_node]))
    upper.append(np.array([int(seats.sum())]))
    rank.append(np.zeros(1, dtype=np.int64))
    tail = np.concatenate(tails).astype(np.int64)
    lo = np.zeros(tail.size, dtype=np.int64)
    if first_seat:
        lo[:n] = 1
    return Network(
        tail=tail,
        head=np.concatenate(heads).astype(np.int64),
        lo=lo,
        hi=np.concatenate(upper).astype(np.int64),
        rank=np.concatenate(rank).astype(np.int64),
        pairs=slice(n, n + pp.size),
        hub_in=hub_in,
        hub_out=hub_out,
        back=tail.size - 1,
        n_nodes=n + m + 3,
    )


def decode(
    problem: Problem, arcs: Arcs, net: Network, flow: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(participant, opportunity) pairs carried by a circulation, sorted by participant."""
    keep = np.ones(arcs.size, dtype=bool) if mask is None else mask
    chosen = flow[net.pairs] > 0
    part, opp = arcs.participant[keep][chosen], arcs.opportunity[keep][chosen]
    if net.hub_in.stop > net.hub_in.start:
        via_hub = np.repeat(np.arange(problem.n_participants, dtype=np.int64), flow[net.hub_in])
        hub_opp = np.repeat(np.arange(problem.n_opportunities, dtype=np.int64), flow[net.hub_out])
        part = np.concatenate([part, via_hub])
        opp = np.concatenate([opp, hub_opp])
    order = np.lexsort((opp, part))
    return part[order], opp[order]


def solve_circulation(
    net: Network, lo: np.ndarray, hi: np.ndarray, cost: np.ndarray, engine: FlowEngine = ORTOOLS
) -> np.ndarray:
    """Min-cost circulation with bounds lo ≤ flow ≤ hi; returns the flow on every arc."""
    supply = np.zeros(net.n_nodes, dtype=np.int64)
    np.add.at(supply, net.tail, -lo)
    np.add.at(supply, net.head, lo)
    free = np.flatnonzero(lo < hi)
    flow = lo.copy()
    flow[free] += engine(
        net.n_nodes, net.tail[free], net.head[free], hi[free] - lo[free], cost[free], supply, max_flow=False
    )
    return flow


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


def fix_face(
    net: Network, lo: np.ndarray, hi: np.ndarray, cost: np.ndarray, flow: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds that leave exactly the flows optimal for ``cost`` (given the optimal ``flow``).

    With node potentials π from shortest paths in the residual graph, every arc with reduced
    cost c + π(u) − π(v) > 0 carries its lower bound in every optimal flow and every arc with
    reduced cost < 0 its upper bound (complementary slackness).
    """
    free = lo < hi
    fwd = free & (flow < hi)
    bwd = free & (flow > lo)
    d = _potentials(
        net.n_nodes,
        np.concatenate([net.tail[fwd], net.head[bwd]]),
        np.concatenate([net.head[fwd], net.tail[bwd]]),
        np.concatenate([cost[fwd], -cost[bwd]]).astype(np.float64),
    )
    reduced = cost + d[net.tail] - d[net.head]
    new_hi = np.where(free & (reduced > 1e-9), lo, hi)
    new_lo = np.where(free & (reduced < -1e-9), hi, lo)
    return new_lo, new_hi
