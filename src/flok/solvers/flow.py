"""The min-cost-flow strategy (OR-Tools SimpleMinCostFlow), built and read back in bulk.

Ranked mode uses the fastest formulation measured here: participants are supply nodes
(+max_seats), opportunities demand nodes (−capacity), one arc per ranked pair with cost =
rank, and ``solve_max_flow_with_min_cost`` — exactly "most seats, then lowest total rank",
with no source, sink, dummy node or big-M penalty. ``fill_unlisted`` adds one node that
takes anyone at the unlisted cost (max_rank + 2); the seats the listed pairs leave free are
handed out afterwards (`plain`: exact, and far smaller than one arc per unranked pair). Score
mode maximizes total score: a sink node lets a participant stay unseated at cost 0.

Fairness objectives stay on the flow where it is exact: ``maximin`` by searching the
smallest rank threshold that still seats as many as possible; ``lexicographic`` by
successive 0/1-cost flows that fix each stage's optimal face (``lexflow``), then the total
rank (or, in score mode, the total score).

allow_unassigned=false with several seats per participant means *at least one seat each*;
the seats beyond the first are still worth giving. A plain max flow cannot say "at least
one" (it may hand someone's only possible seat to a person who already has one), so that
case is solved exactly as a circulation with a lower bound of 1 on each participant's
supply arc (``circulation``): feasibility is a one-seat-each matching (Hall's condition,
explained by ``diagnose.shortfall_error`` on that matching); augmenting paths never take a
seat back from a participant, so the most seats with the lower bounds equals the plain
maximum, and the circulation fixed at that many seats then minimizes the cost exactly.
"""

from __future__ import annotations

from time import perf_counter

import numpy as np
from ortools.graph.python import max_flow

from flok.errors import SolverError
from flok.model import Problem
from flok.solvers.base import Progress, ProgressCallback, SolveResult, register
from flok.solvers.circulation import decode, participant_network, solve_circulation
from flok.solvers.costs import INT_SAFE, Arcs, build_arcs, tie_break
from flok.solvers.diagnose import shortfall_error
from flok.solvers.engines import ORTOOLS, FlowEngine
from flok.solvers.lexflow import lexicographic
from flok.solvers.plain import Perturb, plain_network
from flok.solvers.rules import side_constraints


def _seat_units(problem: Problem) -> int:
    """At most how many arcs leaving participants carry flow, each with one lottery draw
    (`costs.tie_break` keeps all their noise below one cost unit): one per seat given, and with
    fill_unlisted one per participant's seat, as everyone not seated on a listed pair goes to the
    unlisted node (`plain`)."""
    seats = int(problem.seats_allowed().sum())
    if problem.options.fill_unlisted:
        return seats
    return int(min(seats, problem.capacity.sum()))


def _first_seat(problem: Problem) -> bool:
    """Whether "nobody unassigned" needs the lower-bound circulation (someone may hold 2+ seats)."""
    return not problem.options.allow_unassigned and bool((problem.seats_allowed() > 1).any())


def _max_flow(
    problem: Problem, arcs: Arcs, mask: np.ndarray, *, hub: bool, seats: np.ndarray | None = None
) -> tuple[max_flow.SimpleMaxFlow, int]:
    """A plain max flow over the masked arcs; pair arcs follow the n source arcs, in mask order."""
    n, m = problem.n_participants, problem.n_opportunities
    source, sink, hub_node = n + m, n + m + 1, n + m + 2
    everyone = np.arange(n, dtype=np.int64)
    opp_nodes = np.arange(m, dtype=np.int64) + n
    supply = problem.seats_allowed() if seats is None else seats
    tails = [np.full(n, source, dtype=np.int64), arcs.participant[mask], opp_nodes]
    heads = [everyone, arcs.opportunity[mask] + n, np.full(m, sink, dtype=np.int64)]
    caps = [supply, np.ones(int(mask.sum()), dtype=np.int64), problem.capacity]
    if hub:
        tails += [everyone, np.full(m, hub_node, dtype=np.int64)]
        heads += [np.full(n, hub_node, dtype=np.int64), opp_nodes]
        caps += [supply, problem.capacity]
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(np.concatenate(tails), np.concatenate(heads), np.concatenate(caps))
    if smf.solve(source, sink) != smf.OPTIMAL:
        raise SolverError("max flow failed")
    return smf, int(smf.optimal_flow())


def _max_seats(problem: Problem, arcs: Arcs, mask: np.ndarray, *, hub: bool) -> int:
    """Most seats that can be given using only the masked arcs (a plain max flow, fast)."""
    return _max_flow(problem, arcs, mask, hub=hub)[1]


def _everyone_seatable(problem: Problem, arcs: Arcs, mask: np.ndarray) -> bool:
    """Whether one seat each fits in the masked arcs (a matching that covers every participant)."""
    one = np.ones(problem.n_participants, dtype=np.int64)
    return _max_flow(problem, arcs, mask, hub=False, seats=one)[1] == problem.n_participants


def _check_first_seats(problem: Problem, arcs: Arcs) -> None:
    """Raise the Hall's-condition explanation when not everyone can get a first seat.

    The explanation is read off a maximum one-seat-each matching, so it never counts a
    second seat of someone as taken from a person left without one.
    """
    mask = np.ones(arcs.size, dtype=bool)
    one = np.ones(problem.n_participants, dtype=np.int64)
    smf, seated = _max_flow(problem, arcs, mask, hub=False, seats=one)
    if seated == problem.n_participants:
        return
    n = problem.n_participants
    chosen = np.asarray(smf.flows(np.arange(n, n + arcs.size, dtype=np.int32))) > 0
    raise shortfall_error(problem, arcs.participant[chosen], arcs.opportunity[chosen])


INT64_MAX = 2**63 - 1


def cost_range(problem: Problem) -> int:
    """The largest |arc cost| OR-Tools' min-cost flow accepts on this problem's networks.

    It scales every cost by about 2.4·(nodes + 3) internally and answers BAD_COST_RANGE when that
    could leave int64 (measured: the largest accepted cost is ⌊(2^63 − 1)·5 / (12·(nodes + 3))⌋);
    half of that leaves room for other OR-Tools versions. Our networks have at most n + m + 4 nodes.
    """
    nodes = problem.n_participants + problem.n_opportunities + 4
    return INT64_MAX * 5 // (12 * (nodes + 3)) // 2


def _lottery_limit(problem: Problem) -> int:
    """The bound on a seeded lottery's perturbed totals (`costs.tie_break`) that also keeps every
    perturbed cost within `cost_range`: the noise shrinks (never below 2 values) before the flow
    declines. Problems whose lottery fitted both before keep the same lottery draws."""
    return min(INT_SAFE, cost_range(problem) * max(_seat_units(problem), 1) * 2)


def _out_of_range(problem: Problem, limit: int | None = None) -> str | None:
    """Why the flow cannot hold this problem's costs exactly (None when it can), checked up front.

    Every score, penalty and rank is already within the documented exact range (`costs`), but a
    min-cost flow's range shrinks with the network's size and a seeded lottery multiplies the
    costs: say so here, so that ``auto`` moves to a strategy that can hold them, instead of the
    flow failing with BAD_COST_RANGE after the fact (issue 13). Ranked problems without
    penalties or a seed need no arcs to tell: their largest cost is the largest rank. ``limit``
    is the engine's largest |cost| (default: OR-Tools' `cost_range`).
    """
    opts = problem.options
    units = max(_seat_units(problem), 1)
    limit = cost_range(problem) if limit is None else limit
    if problem.rank is not None and problem.penalty is None and opts.seed is None:
        top = max(int(problem.rank.max(initial=0)), problem.unlisted_rank)
    else:
        arcs = build_arcs(problem)
        costs = [arcs.cost, np.array([arcs.unlisted_cost], dtype=np.int64)]
        if opts.seed is not None:
            perturbed = tie_break(costs, _seat_units(problem), opts.seed, _lottery_limit(problem))
            if perturbed is None:
                return "seeded tie-breaking would overflow 64-bit costs"
            costs = perturbed
        top = max(int(np.abs(c).max(initial=0)) for c in costs)
    if top > limit or top * units > INT64_MAX // 2:
        lottery = " after the seeded lottery's scaling" if opts.seed is not None else ""
        return (
            f"arc costs up to {top:,}{lottery} exceed the min-cost flow's exact range "
            f"({limit:,} on a network of {problem.n_participants + problem.n_opportunities:,} "
            "participants and opportunities)"
        )
    return None


def _lottery(problem: Problem) -> Perturb | None:
    """The seeded lottery on the costs of arcs leaving participants (None without a seed)."""
    seed = problem.options.seed
    if seed is None:
        return None

    def perturb(costs: list[np.ndarray]) -> list[np.ndarray]:
        perturbed = tie_break(costs, _seat_units(problem), seed, _lottery_limit(problem))
        if perturbed is None:
            raise SolverError("seeded tie-breaking would overflow 64-bit costs")
        return perturbed

    return perturb


class FlowStrategy:
    """The exact flow formulations of this module, solved by OR-Tools' min-cost flow."""

    name = "min_cost_flow"
    priority = 10
    engine: FlowEngine = ORTOOLS

    def unsupported(self, problem: Problem) -> str | None:
        rules = side_constraints(problem)
        if problem.options.keep:  # a stage before seats (flok.resolve fixes kept seats itself)
            rules.append("seats to keep from a previous allocation")
        if rules:
            return "the problem has " + ", ".join(rules)
        opts = problem.options
        if opts.fill_unlisted and (problem.seats_allowed() > 1).any():
            return "fill_unlisted with several seats per participant"
        if opts.fill_unlisted and opts.forbidden:
            return "forbidden pairs with fill_unlisted (the hub reaches every opportunity)"
        return _out_of_range(problem)

    def solve(self, problem: Problem, progress: ProgressCallback | None = None) -> SolveResult:
        t0 = perf_counter()
        opts = problem.options
        arcs = build_arcs(problem)
        cost, unlisted = arcs.cost, arcs.unlisted_cost
        details: dict[str, object] = {}
        mask = np.ones(arcs.size, dtype=bool)
        first_seat = _first_seat(problem)
        if first_seat:
            _check_first_seats(problem, arcs)
        if opts.objective == "lexicographic":
            return self._lexicographic(problem, arcs, t0)
        if opts.objective == "maximin":
            mask, worst = self._maximin_threshold(problem, arcs)
            details["worst_rank"] = worst
        if first_seat:
            result = self._solve_first_seats(problem, arcs, mask)
            result.details.update(details)
            result.build_seconds = perf_counter() - t0 - result.solve_seconds - result.decode_seconds
            return result
        result = self._solve_network(
            problem,
            arcs,
            cost,
            unlisted,
            mask,
            progress,
            hub=opts.fill_unlisted
            and (opts.objective != "maximin" or details.get("worst_rank") == "unlisted"),
        )
        result.details.update(details)
        result.build_seconds = perf_counter() - t0 - result.solve_seconds - result.decode_seconds
        if not opts.allow_unassigned and np.unique(result.participant).size < problem.n_participants:
            raise shortfall_error(problem, result.participant, result.opportunity)
        return result

    def _lexicographic(self, problem: Problem, arcs: Arcs, t0: float) -> SolveResult:
        opts = problem.options
        final: np.ndarray | None = None
        hub_cost: np.ndarray | None = None
        # Once the rank signature is settled, the total decides: penalties in ranked mode, and
        # always the total score in score mode (its ranks say nothing about score sizes).
        if problem.score is not None or (problem.penalty is not None and problem.penalty.any()):
            final, hub_cost = arcs.cost, np.full(problem.n_participants, arcs.unlisted_cost, dtype=np.int64)
        if opts.seed is not None:
            final = arcs.cost if final is None else final
            hub_cost = (
                np.full(problem.n_participants, arcs.unlisted_cost, dtype=np.int64)
                if hub_cost is None
                else hub_cost
            )
            perturbed = tie_break([final, hub_cost], _seat_units(problem), opts.seed, _lottery_limit(problem))
            if perturbed is None:
                raise SolverError("seeded tie-breaking would overflow 64-bit costs")
            final, hub_cost = perturbed
        t1 = perf_counter()
        part, opp = lexicographic(
            problem,
            arcs,
            hub=opts.fill_unlisted,
            first_seat=_first_seat(problem),
            final_cost=final,
            hub_cost=hub_cost,
            engine=self.engine,
        )
        t2 = perf_counter()
        order = np.lexsort((opp, part))
        part, opp = part[order], opp[order]
        if not opts.allow_unassigned and np.unique(part).size < problem.n_participants:
            raise shortfall_error(problem, part, opp)
        return SolveResult(
            participant=part,
            opportunity=opp,
            status="optimal",
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            decode_seconds=perf_counter() - t2,
        )

    def _maximin_threshold(self, problem: Problem, arcs: Arcs) -> tuple[np.ndarray, int | str]:
        """Smallest worst rank that still seats as many as possible (binary search on max flows)."""
        target = _max_seats(problem, arcs, np.ones(arcs.size, dtype=bool), hub=problem.options.fill_unlisted)
        thresholds = np.unique(arcs.rank)
        first_seat = _first_seat(problem)
        lo, hi = 0, thresholds.size - 1
        best: int | None = None
        while lo <= hi:
            mid = (lo + hi) // 2
            mask = arcs.rank <= thresholds[mid]
            # With at least one seat each, a threshold must also leave everyone a first seat;
            # from such a flow, augmenting reaches ``target`` without taking any seat back.
            if _max_seats(problem, arcs, mask, hub=False) == target and (
                not first_seat or _everyone_seatable(problem, arcs, mask)
            ):
                best, hi = mid, mid - 1
            else:
                lo = mid + 1
        if best is None:  # only unlisted seats reach the full count
            return np.ones(arcs.size, dtype=bool), "unlisted"
        return arcs.rank <= thresholds[best], int(thresholds[best])

    def _solve_first_seats(self, problem: Problem, arcs: Arcs, mask: np.ndarray) -> SolveResult:
        """At least one seat each, seats beyond the first optional: a circulation, exact.

        Ranked mode and the fairness objectives give the most seats first (the plain maximum,
        reachable from any one-seat-each flow), then the lowest cost; score mode's ``sum``
        only maximizes the total score, so a further seat is given only when it adds score.
        """
        t0 = perf_counter()
        opts = problem.options
        net = participant_network(problem, arcs, mask, hub=False, first_seat=True)
        lo, hi = net.lo.copy(), net.hi.copy()
        if problem.rank is not None or opts.objective != "sum":
            target = _max_seats(problem, arcs, mask, hub=False)
            lo[net.back] = hi[net.back] = target
        pair_cost = arcs.cost[mask]
        if opts.seed is not None:
            perturbed = tie_break([pair_cost], _seat_units(problem), opts.seed, _lottery_limit(problem))
            if perturbed is None:
                raise SolverError("seeded tie-breaking would overflow 64-bit costs")
            pair_cost = perturbed[0]
        cost = np.zeros(net.tail.size, dtype=np.int64)
        cost[net.pairs] = pair_cost
        t1 = perf_counter()
        flow = solve_circulation(net, lo, hi, cost, self.engine)
        t2 = perf_counter()
        part, opp = decode(problem, arcs, net, flow, mask)
        return SolveResult(
            participant=part,
            opportunity=opp,
            status="optimal",
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            decode_seconds=perf_counter() - t2,
        )

    def _solve_network(
        self,
        problem: Problem,
        arcs: Arcs,
        cost: np.ndarray,
        unlisted_cost: int,
        mask: np.ndarray,
        progress: ProgressCallback | None,
        *,
        hub: bool,
    ) -> SolveResult:
        t0 = perf_counter()
        net = plain_network(problem, arcs, cost, unlisted_cost, mask, hub=hub, perturb=_lottery(problem))
        t1 = perf_counter()
        if progress:
            progress(Progress("solving min-cost flow", fraction=0.0, seconds=t1 - t0))
        flows = self.engine(
            net.n_nodes, net.tail, net.head, net.cap, net.cost, net.supply, max_flow=net.max_flow
        )
        t2 = perf_counter()
        part, opp = net.decode(flows)
        t3 = perf_counter()
        if progress:
            progress(Progress("min-cost flow solved", fraction=1.0, seconds=t3 - t0))
        return SolveResult(
            participant=part,
            opportunity=opp,
            status="optimal",
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            decode_seconds=t3 - t2,
        )


register(FlowStrategy())
