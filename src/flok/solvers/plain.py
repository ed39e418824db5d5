"""The plain allocation network as arrays: built once, solved by any `engines` engine, decoded.

Participants are supply nodes (+max_seats), opportunities demand nodes (−capacity), one arc per
acceptable pair with cost = rank (or −score), and "most flow, then least cost" (``max_flow``) —
exactly "most seats, then lowest total rank", with no big-M penalty. ``fill_unlisted`` routes
every participant through one hub node (participant → hub at max_rank + 2, hub → each
opportunity), exact and far smaller than one arc per unranked pair. Score mode with people
allowed to stay unassigned maximizes the total score: a sink lets a participant stay unseated at
cost 0 and the supplies balance (``max_flow`` off).

Node numbers: participants 0..n−1, opportunities n..n+m−1, then the hub and the sink (present
whether used or not, so a warm start can map every node of one network onto the next).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from flok.model import Problem
from flok.solvers.costs import Arcs

Perturb = Callable[[list[np.ndarray]], list[np.ndarray]]


@dataclass
class PlainNetwork:
    problem: Problem
    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    cost: np.ndarray
    supply: np.ndarray
    max_flow: bool
    pair_participant: np.ndarray  # the pair arcs come first, in this order
    pair_opportunity: np.ndarray
    hub: bool
    optional: bool
    seed: int | None

    @property
    def n_nodes(self) -> int:
        return self.problem.n_participants + self.problem.n_opportunities + 2

    @property
    def hub_node(self) -> int:
        return self.problem.n_participants + self.problem.n_opportunities

    def decode(self, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(participant, opportunity) pairs carried by ``flows``, sorted by participant."""
        n, m = self.problem.n_participants, self.problem.n_opportunities
        e = self.pair_participant.size
        chosen = flows[:e] > 0
        part, opp = self.pair_participant[chosen], self.pair_opportunity[chosen]
        if self.hub:
            via_hub = np.repeat(np.arange(n, dtype=np.int64), flows[e : e + n])
            hub_opp = np.repeat(np.arange(m, dtype=np.int64), flows[e + n : e + n + m])
            if self.seed is not None:
                np.random.default_rng((self.seed + 1) % 2**64).shuffle(hub_opp)  # numpy refuses < 0
            part = np.concatenate([part, via_hub])
            opp = np.concatenate([opp, hub_opp])
        order = np.lexsort((opp, part))
        return part[order], opp[order]

    def start_flow(self, participant: np.ndarray, opportunity: np.ndarray) -> np.ndarray:
        """A flow per arc that carries the given seats (pairs without an arc go through the hub)."""
        n, m = self.problem.n_participants, self.problem.n_opportunities
        width = max(m, 1)
        flow = np.zeros(self.tail.size, dtype=np.int64)
        e = self.pair_participant.size
        keys = self.pair_participant * width + self.pair_opportunity
        seat_keys = participant * width + opportunity
        on_arc = pair_member(keys, seat_keys)
        flow[:e] = on_arc
        if self.hub:
            off = ~pair_member(seat_keys, keys)
            flow[e : e + n] = np.bincount(participant[off], minlength=n)
            flow[e + n : e + n + m] = np.bincount(opportunity[off], minlength=m)
        if self.optional:
            k = self.tail.size - m - n
            load = np.bincount(opportunity, minlength=m)
            held = np.bincount(participant, minlength=n)
            flow[k : k + m] = load
            flow[k + m :] = np.maximum(self.problem.seats_allowed() - held, 0)
        return flow


def pair_member(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.isin`` for integer pair keys by sorting the keys once and binary search: NumPy's
    hash-based ``isin`` took about 0.06–0.1 s per call on 650k pairs, this a few milliseconds."""
    values = np.asarray(values, dtype=np.int64)
    sorted_keys = np.sort(np.asarray(keys, dtype=np.int64))
    if not sorted_keys.size:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), sorted_keys.size - 1)
    return sorted_keys[at] == values


def plain_network(
    problem: Problem,
    arcs: Arcs,
    cost: np.ndarray,
    unlisted_cost: int,
    mask: np.ndarray,
    *,
    hub: bool,
    perturb: Perturb | None = None,
) -> PlainNetwork:
    """The network of the module docstring over the masked pairs; ``perturb`` (a seeded lottery)
    rewrites the costs of the arcs that leave participants."""
    n, m = problem.n_participants, problem.n_opportunities
    opts = problem.options
    seats = problem.seats_allowed()
    pp, po, base = arcs.participant[mask], arcs.opportunity[mask], cost[mask]
    hub_node, sink = n + m, n + m + 1
    everyone = np.arange(n, dtype=np.int64)
    opp_nodes = np.arange(m, dtype=np.int64) + n
    tails, heads, caps, costs = [pp], [po + n], [np.ones(pp.size, dtype=np.int64)], [base]
    leaving = [0]
    if hub:
        leaving.append(len(tails))
        tails += [everyone, np.full(m, hub_node, dtype=np.int64)]
        heads += [np.full(n, hub_node, dtype=np.int64), opp_nodes]
        caps += [seats, problem.capacity]
        costs += [np.full(n, unlisted_cost, dtype=np.int64), np.zeros(m, dtype=np.int64)]
    optional = problem.score is not None and opts.allow_unassigned and opts.objective == "sum"
    if optional:
        leaving.append(len(tails) + 1)
        tails += [opp_nodes, everyone]
        heads += [np.full(m, sink, dtype=np.int64), np.full(n, sink, dtype=np.int64)]
        caps += [problem.capacity, seats]
        costs += [np.zeros(m, dtype=np.int64), np.zeros(n, dtype=np.int64)]
    if perturb is not None:
        for i, c in zip(leaving, perturb([costs[i] for i in leaving]), strict=True):
            costs[i] = c
    supply = np.zeros(n + m + 2, dtype=np.int64)
    supply[:n] = seats
    if optional:
        supply[sink] = -int(seats.sum())
    else:
        supply[n : n + m] = -problem.capacity
    return PlainNetwork(
        problem=problem,
        tail=np.concatenate(tails).astype(np.int64),
        head=np.concatenate(heads).astype(np.int64),
        cap=np.concatenate(caps).astype(np.int64),
        cost=np.concatenate(costs).astype(np.int64),
        supply=supply,
        max_flow=not optional,
        pair_participant=pp,
        pair_opportunity=po,
        hub=hub,
        optional=optional,
        seed=opts.seed,
    )
