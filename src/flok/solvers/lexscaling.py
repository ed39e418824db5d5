"""Lexicographic (rank-maximal) stages on the cost-scaling core, without lower bounds.

`lexflow` solves each 0/1 level as a circulation whose earlier optimal faces are held by lower
bounds, which only the general engines take. On the plain network (`plain`'s, with its unlisted
node under fill_unlisted; not "at least one seat each") the same stages fit the cost-scaling core
(_scaling.c), which solves one layer of unit arcs from participants to opportunities, "most
seats, then least cost":

* Each solve returns *exact* duals (every residual arc's reduced cost ≥ 0). By complementary
  slackness the flows optimal for a stage are exactly those that keep every arc of nonzero reduced
  cost where it is: a pair arc above 0 stays empty, below 0 stays full; an opportunity's arc to
  the sink below 0 means "stays full", above 0 "stays empty"; a participant's bypass (a seat not
  given) above 0 means "gets every seat", below 0 "gets none".
* Arc-level facts shrink the network for the next stage: empty arcs are dropped, full ones become
  seats handed out in advance (the participant's supply and the opportunity's capacity drop by one).
  Node-level "gets every seat" and "stays full" cannot be bounds here, so they become a reward of
  ``−M`` per seat on the arcs of that participant or into that opportunity, with ``M`` larger than
  anything breaking them can gain on the next stage's cost (`_reward` has the bounds and the
  argument). So every flow optimal for the rewarded costs keeps every fact of the face so far;
  the core checks that the flow it returns has most seats, so that flow is optimal for every
  stage so far and the next stage, and its duals describe the next face exactly.

Costs stay within 2·M + 1 (M is at most about min(people, opportunities) times the stage's cost
range), where stacked 0/1 levels would need weights that overflow 64 bits. When a solve cannot
give exact duals or the costs do not fit its 64-bit prices, `lexicographic_scaling` returns None
and the caller takes the circulation path: the answer is the same optimum either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flok.model import Problem
from flok.solvers.costs import Arcs
from flok.solvers.engines import PlainLayout, scaling_fits, scaling_solve, scaling_stats
from flok.solvers.plain import unlisted_seats


def rank_levels(ranks: np.ndarray) -> np.ndarray:
    """The thresholds v whose "seats worse than v" counts decide the order: every distinct
    rank except the largest (nothing is worse than it), in increasing order."""
    values = np.unique(ranks[ranks >= 1])
    return values[:-1]


@dataclass
class _Face:
    """What the stages solved so far have fixed, over the pair arcs sorted by participant."""

    participant: np.ndarray
    opportunity: np.ndarray
    free: np.ndarray  # arcs the flows optimal so far may use or not
    given: np.ndarray  # arcs every such flow uses (seats handed out in advance)
    all_seats: np.ndarray  # participants who get every seat they may hold, in every such flow
    full: np.ndarray  # opportunities full in every such flow
    seats: np.ndarray  # seats each participant may hold
    capacity: np.ndarray

    def solve(self, cost: np.ndarray, reward: int) -> np.ndarray | None:
        """Most seats on the free arcs at least ``cost``, each seat of an ``all_seats`` participant
        or into a ``full`` opportunity earning ``reward``. Returns the flow per arc (1 on given arcs)
        and takes the new face from the exact duals; None when the core cannot give them."""
        n, m = self.seats.size, self.capacity.size
        supply = self.seats - np.bincount(self.participant[self.given], minlength=n)
        room = self.capacity - np.bincount(self.opportunity[self.given], minlength=m)
        # Arcs from people with no seat left to give, or into opportunities with no seat left,
        # carry nothing in any flow: drop them for good. Only nodes with free arcs go to the core.
        self.free &= (supply > 0)[self.participant] & (room > 0)[self.opportunity]
        idx = np.flatnonzero(self.free)
        pp, po = self.participant[idx], self.opportunity[idx]
        people, local_p = np.unique(pp, return_inverse=True)
        places, local_o = np.unique(po, return_inverse=True)
        P, Q = people.size, places.size
        c = cost[idx] - reward * (self.all_seats[pp].astype(np.int64) + self.full[po])
        off = np.zeros(P + 1, dtype=np.int64)
        np.cumsum(np.bincount(local_p, minlength=P), out=off[1:])
        layout = PlainLayout(
            participants=np.arange(P, dtype=np.int64),
            opportunities=np.arange(P, P + Q, dtype=np.int64),
            order=None,
            off=off,
            opp=local_o.astype(np.int32),
            cost=c.astype(np.int64),
            supply=supply[people].astype(np.int64),
            capacity=room[places].astype(np.int64),
        )
        solved = scaling_solve(layout, P + Q)
        if solved is None or not scaling_stats().exact or solved.scale is None:
            return None
        k, lo, bypass = (int(x) for x in solved.scale)
        pot = solved.potential
        sink = pot[P + Q + 1]
        reduced = (c - lo) * k + pot[local_p] - pot[P + local_o]
        seat = solved.flow.astype(bool)
        if (seat & (reduced > 0)).any() or (~seat & (reduced < 0)).any():
            return None  # not exact duals after all: leave it to the circulations
        flow = self.given.astype(np.int64)
        flow[idx] = seat
        # The new face (see the module docstring); node facts replace the old ones, which the
        # rewards carried into this stage's optimum.
        to_sink = pot[P : P + Q] - sink
        bypass_rc = bypass * k + pot[:P] - sink
        self.given[idx[reduced < 0]] = True
        keep = (reduced == 0) & (to_sink <= 0)[local_o] & (bypass_rc >= 0)[local_p]
        self.free[:] = False
        self.free[idx[keep]] = True
        self.all_seats[:] = False
        self.all_seats[people[bypass_rc > 0]] = True
        self.full[:] = False
        self.full[places[to_sink < 0]] = True
        return flow


def _reward(cost: np.ndarray, flow: np.ndarray, face: _Face) -> int:
    """More than any flow can gain on ``cost`` by breaking the face's node facts; the smaller of
    two bounds, plus one:

    * what ``cost`` can differ by between two flows on the free arcs: its value at ``flow`` less a
      lower bound on any flow's (every free arc carries at most one seat, and no more seats are
      given than the face's flow gives);
    * what one simple cycle of ``flow``'s residual graph can gain: k·(largest cost − smallest),
      k = min(people, opportunities + 1) with free arcs (a cycle alternates people with
      opportunities and the sink, meeting each person once: one seat given up and one taken).

    Why the second is enough: any flow g differs from ``flow`` by cycles that each move the same
    way (a conformal decomposition). ``flow`` has most seats, so no cycle adds a seat and the
    bypass costs of each cycle cancel or add. Each cycle that breaks a fact loses at least M in
    rewards and gains less than M; the others, added to ``flow``, give a flow of the face at no
    more than g's total. So a flow that breaks a fact is never optimal.
    """
    free = face.free
    c = cost[free]
    if not c.size:
        return 1
    seats = int((flow[free] > 0).sum())
    lowest = max(int(np.minimum(c, 0).sum()), min(int(c.min()), 0) * seats)
    between = int(c[flow[free] > 0].sum()) - lowest
    people = int(np.count_nonzero(np.bincount(face.participant[free])))
    places = int(np.count_nonzero(np.bincount(face.opportunity[free])))
    cycle = min(people, places + 1) * (int(c.max()) - int(c.min()))
    return min(between, cycle) + 1


def stage_span(k: int, span: int) -> int:
    """Bound on the cost span of a stage whose own costs span ``span`` (1 for a rank level), with
    k = min(seats, people, opportunities + 1): its rewards are at most k·span + 1 (`_reward`),
    and two of them may fall on one arc."""
    return span + 2 * (max(k, 1) * span + 1)


def lexicographic_scaling(
    problem: Problem,
    arcs: Arcs,
    final_cost: np.ndarray | None = None,
    *,
    hub: bool = False,
    hub_cost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The seats of `lexflow.lexicographic` by the cost-scaling core, without lower bounds; None
    when it cannot say (the caller then solves the circulations). ``final_cost`` per arc breaks
    the ties left after the rank levels.

    With ``hub`` (fill_unlisted, one seat each) the network is `plain`'s: an *unlisted* node takes
    anyone at the unlisted rank (and ``hub_cost``, one value for everyone: not a lottery), and the
    people sent there take the seats the listed ones left free. Every level's count of unlisted
    seats, and the tie-break's total, then differ from the hub's by a constant, so the optimal
    listed seats are the same (`plain`'s docstring has the argument)."""
    n, m = problem.n_participants, problem.n_opportunities
    participant, opportunity, rank = arcs.participant, arcs.opportunity, arcs.rank
    capacity = problem.capacity.astype(np.int64)
    if hub:
        if hub_cost is not None and np.unique(hub_cost).size > 1:
            return None  # a lottery over who goes unlisted: the circulations draw it
        everyone = np.arange(n, dtype=np.int64)
        participant = np.concatenate([participant, everyone])
        opportunity = np.concatenate([opportunity, np.full(n, m, dtype=np.int64)])
        rank = np.concatenate([rank, np.full(n, problem.unlisted_rank, dtype=np.int64)])
        if final_cost is not None:
            unlisted = np.zeros(n, dtype=np.int64) if hub_cost is None else hub_cost
            final_cost = np.concatenate([final_cost, unlisted])
        capacity = np.append(capacity, n)
    order = np.argsort(participant, kind="stable")
    rank = rank[order]
    size = order.size
    face = _Face(
        participant=participant[order].astype(np.int64),
        opportunity=opportunity[order].astype(np.int64),
        free=np.ones(size, dtype=bool),
        given=np.zeros(size, dtype=bool),
        all_seats=np.zeros(n, dtype=bool),
        full=np.zeros(capacity.size, dtype=bool),
        seats=problem.seats_allowed().astype(np.int64),
        capacity=capacity,
    )
    if final_cost is not None and final_cost.size:
        # a tie-break too wide for the core's prices (a seeded lottery): the circulations, at once
        span = int(final_cost.max()) - min(int(final_cost.min()), 0)
        k = min(int(face.seats.sum()), int(capacity.sum()), n, capacity.size + 1)
        if not scaling_fits(n, capacity.size, stage_span(k, span)):
            return None
    flow: np.ndarray | None = None
    stages: list[np.ndarray] = [(rank > v).astype(np.int64) for v in rank_levels(rank).tolist()]
    if final_cost is not None:
        stages.append(np.asarray(final_cost, dtype=np.int64)[order])
    if not stages:
        stages.append(np.zeros(size, dtype=np.int64))  # one rank only: most seats is all there is
    for cost in stages:
        if flow is not None and not (face.free & (cost != 0)).any():
            continue  # every flow left costs the same here (given arcs are the same in all)
        reward = 0 if flow is None else _reward(cost, flow, face)
        solved = face.solve(cost, reward)
        if solved is None:
            return None
        flow = solved
    assert flow is not None
    chosen = flow > 0
    part, opp = face.participant[chosen], face.opportunity[chosen]
    if not hub:
        return part, opp
    listed = opp < m
    sent = np.zeros(n, dtype=bool)
    sent[part[~listed]] = True
    via, seats_of = unlisted_seats(problem, sent, opp[listed])
    return np.concatenate([part[listed], via]), np.concatenate([opp[listed], seats_of])
