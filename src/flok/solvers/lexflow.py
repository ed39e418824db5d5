"""Lexicographic (rank-maximal) allocation by successive min-cost flows, exact at any size.

Stage 0 maximizes the seats given; then, for each rank level v that occurs (the distinct
ranks, in order — never every integer up to the largest rank, so a rank of 10⁸ costs one
stage, not 10⁸), a stage minimizes the seats worse than v. Exponential level weights would
do this in one solve but overflow 64-bit costs beyond tiny instances, so each stage uses 0/1
costs and then *fixes its optimal face* (``circulation.fix_face``): later stages can only
choose among the flows optimal for every earlier stage. The number of stages is at most the
number of distinct ranks, and stops early once no free arc is worse than the next level.

The network is ``circulation.participant_network``; with ``first_seat`` every participant
gets at least one seat (allow_unassigned=false with several seats) and the stages rank the
allocations that honour it. On the native engine, the plain network's stages run on the
cost-scaling core instead (`lexscaling`: faces held by dropped arcs, seats handed out in advance
and rewards, not lower bounds), the same optimum.
"""

from __future__ import annotations

import numpy as np

from flok.model import Problem
from flok.solvers.circulation import decode, fix_face, participant_network, solve_circulation
from flok.solvers.costs import Arcs
from flok.solvers.engines import NATIVE, ORTOOLS, FlowEngine
from flok.solvers.lexscaling import lexicographic_scaling, rank_levels


def lexicographic(
    problem: Problem,
    arcs: Arcs,
    *,
    hub: bool,
    first_seat: bool = False,
    final_cost: np.ndarray | None = None,
    hub_cost: np.ndarray | None = None,
    engine: FlowEngine = ORTOOLS,
) -> tuple[np.ndarray, np.ndarray]:
    """Seats maximizing the seats given, then minimizing worse-than-v counts, v rising.

    ``final_cost`` (per pair arc) and ``hub_cost`` (per participant's hub arc) break the
    remaining ties: penalties, score mode's total score, or a seeded lottery.
    """
    if engine is NATIVE and not first_seat:
        # the plain network: the cost-scaling core's stages, falling back to circulations below
        # when it cannot give exact duals or its 64-bit prices cannot hold the rewards
        seats = lexicographic_scaling(problem, arcs, final_cost, hub=hub, hub_cost=hub_cost)
        if seats is not None:
            return seats
    net = participant_network(problem, arcs, hub=hub, first_seat=first_seat)
    lo, hi, rk = net.lo, net.hi, net.rank

    # One level per solve: pairing levels with a weight halves the solves but makes each
    # cost-scaling solve over twice as slow (measured), so 0/1 costs it is.
    seats_cost = np.zeros(net.tail.size, dtype=np.int64)
    seats_cost[net.back] = -1  # maximize the circulation through t → s: the seats given
    flow = solve_circulation(net, lo, hi, seats_cost, engine)
    lo, hi = fix_face(net, lo, hi, seats_cost, flow)
    for v in rank_levels(rk).tolist():
        worse = rk > v
        if not ((lo < hi) & worse).any():
            break  # no free arc is worse than v (nor than any later level): all counts are fixed
        cost = worse.astype(np.int64)
        flow = solve_circulation(net, lo, hi, cost, engine)
        lo, hi = fix_face(net, lo, hi, cost, flow)
        if not (lo < hi).any():
            break
    # Every flow left in the final face is lexicographically optimal; break ties by final_cost.
    last = np.zeros(net.tail.size, dtype=np.int64)
    if final_cost is not None:
        last[net.pairs] = final_cost
    if hub and hub_cost is not None:
        last[net.hub_in] = hub_cost
    if final_cost is not None or (hub and hub_cost is not None):
        flow = solve_circulation(net, lo, hi, last, engine)
    return decode(problem, arcs, net, flow)
