"""The plain allocation network as arrays: built once, solved by any `engines` engine, decoded.

Participants are supply nodes (+max_seats), opportunities demand nodes (−capacity), one arc per
acceptable pair with cost = rank (or −score), and "most flow, then least cost" (``max_flow``) —
exactly "most seats, then lowest total rank", with no big-M penalty. Score mode with people
allowed to stay unassigned maximizes the total score: a sink lets a participant stay unseated at
cost 0 and the supplies balance (``max_flow`` off).

``fill_unlisted`` adds one *unlisted* node that takes any number of participants
(participant → unlisted at the unlisted cost, max_rank + 2), instead of a hub that forwards to
every opportunity: once the listed seats x are chosen, the people sent to it fill the seats x
leaves free, in any order, and an unlisted seat costs the same wherever it is. With S = min(people,
seats) the hub's objective is cost(x) + u·(S − |x|) and this network's is cost(x) + u·(people −
|x|): they differ by a constant, so both have the same optimal x, and any x leaves S − |x| free
seats for the people it does not seat. The network is then one layer of unit arcs, which the
cost-scaling core solves at any size (`engines.plain_layout`); `decode` hands out the free seats.

Node numbers: participants 0..n−1, opportunities n..n+m−1, then the unlisted node (``hub``) and
the sink (present whether used or not, so a warm start can map every node of one network onto
the next).
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
        n = self.problem.n_participants
        e = self.pair_participant.size
        chosen = flows[:e] > 0
        part, opp = self.pair_participant[chosen], self.pair_opportunity[chosen]
        if self.hub:
            via_hub, hub_opp = unlisted_seats(self.problem, flows[e : e + n] > 0, opp, self.seed)
            part = np.concatenate([part, via_hub])
            opp = np.concatenate([opp, hub_opp])
        order = np.lexsort((opp, part))
        return part[order], opp[order]

    def start_flow(self, participant: np.ndarray, opportunity: np.ndarray) -> np.ndarray:
        """A flow per arc that carries the given seats (pairs without an arc go through the hub)."""
        n, m = self.problem.n_participants, self.problem.n_opportunities
        flow = np.zeros(self.tail.size, dtype=np.int64)
        e = self.pair_participant.size
        held = np.bincount(participant, minlength=n)
        if held.max(initial=0) <= 1:
            # One seat each at most (the common case): an arc carries the seat of its participant
            # when its opportunity is that seat's, one gather over the arcs instead of a search.
            seat_of = np.full(n, -1, dtype=np.int64)
            seat_of[participant] = opportunity
            on_arc = self.pair_opportunity == seat_of[self.pair_participant]
            off = np.bincount(self.pair_participant[on_arc], minlength=n)[participant] == 0
        else:
            width = max(m, 1)
            keys = self.pair_participant * width + self.pair_opportunity
            seat_keys = participant * width + opportunity
            on_arc = pair_member(keys, seat_keys)
            off = ~pair_member(seat_keys, keys)
        flow[:e] = on_arc
        if self.hub:
            flow[e : e + n] = np.bincount(participant[off], minlength=n)
            if self.optional:  # the unlisted node's arc to the sink
                flow[e + n] = int(off.sum())
        if self.optional:
            k = self.tail.size - m - n
            load = np.bincount(opportunity, minlength=m)
            flow[k : k + m] = load
            flow[k + m :] = np.maximum(self.problem.seats_allowed() - held, 0)
        return flow


def unlisted_seats(
    problem: Problem, sent: np.ndarray, listed_opp: np.ndarray, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The people ``sent`` to the unlisted node, seated in the seats the listed ones left free.

    Without a seed, people in index order take free seats in opportunity order; a seeded
    lottery shuffles both, so it also draws who stays unseated when the free seats run out
    (any choice is optimal: every unlisted seat costs the same).
    """
    m = problem.n_opportunities
    who = np.flatnonzero(sent).astype(np.int64)
    free = np.maximum(problem.capacity - np.bincount(listed_opp, minlength=m), 0)
    seats = np.repeat(np.arange(m, dtype=np.int64), free)
    if seed is not None:
        rng = np.random.default_rng((seed + 1) % 2**64)  # numpy refuses seeds < 0
        rng.shuffle(seats)
        rng.shuffle(who)
    k = min(who.size, seats.size)
    return who[:k], seats[:k]


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
    optional = problem.score is not None and opts.allow_unassigned and opts.objective == "sum"
    if hub:
        leaving.append(len(tails))
        tails.append(everyone)
        heads.append(np.full(n, hub_node, dtype=np.int64))
        caps.append(seats)
        costs.append(np.full(n, unlisted_cost, dtype=np.int64))
        if optional:  # supplies balance at the sink: the unlisted node forwards to it
            tails.append(np.array([hub_node], dtype=np.int64))
            heads.append(np.array([sink], dtype=np.int64))
            caps.append(np.array([int(seats.sum())], dtype=np.int64))
            costs.append(np.zeros(1, dtype=np.int64))
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
        if hub:
            supply[hub_node] = -int(seats.sum())
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
