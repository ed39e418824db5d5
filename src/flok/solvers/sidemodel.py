"""The side-constraint model, written once as linear rows and solved by any backend.

One binary per acceptable (participant, opportunity) pair, plus helper variables (does an
opportunity run, do two group members sit together, the worst rank). Every rule is a
linear row with bounds; rows that a coordinator could relax carry a rule name, which the
CP-SAT backend turns into an assumption literal to explain infeasibility. Objectives are
stages: each stage's optimum is fixed before the next one (seats, then fairness, then cost).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from flok.model import Problem
from flok.solvers.costs import build_arcs, value_units
from flok.solvers.lexscaling import rank_levels
from flok.solvers.linear import LinearModel, Stage
from flok.solvers.rules import RULES, BuildContext, in_model_order

INF = float("inf")


@dataclass
class Pairs:
    participant: np.ndarray
    opportunity: np.ndarray
    rank: np.ndarray  # 0 = unlisted
    cost: np.ndarray
    unit: int  # cost units per rank or score point (10**decimals, times the lottery's factor)


@dataclass(kw_only=True)
class SideModel(LinearModel):
    """The allocation's linear model: the shared one plus what decoding a solution needs."""

    pairs: Pairs
    together: list[tuple[int, str]] = field(default_factory=list)  # soft-group "sit together" vars
    runs: dict[int, int] = field(default_factory=dict)  # opportunity -> "runs" var (min sizes)


def pairs_of(problem: Problem) -> Pairs:
    """Acceptable pairs, unlisted ones (fill_unlisted) and forced ones, with their costs."""
    arcs = build_arcs(problem)
    part, opp, rank, cost = [arcs.participant], [arcs.opportunity], [arcs.rank], [arcs.cost]
    m = max(problem.n_opportunities, 1)
    have = set((arcs.participant * m + arcs.opportunity).tolist())
    extra: list[tuple[int, int]] = []
    if problem.options.fill_unlisted:
        forbidden = set(map(tuple, problem.pair_indices(problem.options.forbidden, "forbidden").tolist()))
        listed = set((problem.pref_participant * m + problem.pref_opportunity).tolist())
        extra = [
            (p, o)
            for p in range(problem.n_participants)
            for o in range(problem.n_opportunities)
            if p * m + o not in listed and (p, o) not in forbidden
        ]
    for p, o in problem.pair_indices(problem.options.forced, "forced").tolist():
        if p * m + o not in have and (p, o) not in extra:
            extra.append((p, o))
    if extra:
        part.append(np.array([e[0] for e in extra], dtype=np.int64))
        opp.append(np.array([e[1] for e in extra], dtype=np.int64))
        rank.append(np.zeros(len(extra), dtype=np.int64))
        cost.append(np.full(len(extra), arcs.unlisted_cost, dtype=np.int64))
    return Pairs(
        np.concatenate(part), np.concatenate(opp), np.concatenate(rank), np.concatenate(cost), arcs.unit
    )


def build(problem: Problem, pairs: Pairs) -> SideModel:
    lm = SideModel(pairs=pairs)
    e = pairs.participant.size
    for _ in range(e):
        lm.var()
    opts = problem.options
    pids = problem.participant_ids
    by_p: dict[int, list[int]] = defaultdict(list)
    by_o: dict[int, list[int]] = defaultdict(list)
    for i, (p, o) in enumerate(zip(pairs.participant.tolist(), pairs.opportunity.tolist(), strict=True)):
        by_p[p].append(i)
        by_o[o].append(i)
    seat_cap = problem.seats_allowed()
    for p in range(problem.n_participants):
        idx = by_p.get(p, [])
        lo = 1.0 if not opts.allow_unassigned else -INF
        if idx or lo > 0:
            lm.row(idx, np.ones(len(idx)), hi=int(seat_cap[p]))
            if lo > 0:
                lm.row(idx, np.ones(len(idx)), lo=1, rule=f"participant {pids[p]} must get a seat")
    for o, idx in by_o.items():
        lm.row(idx, np.ones(len(idx)), hi=int(problem.capacity[o]))
    ctx = BuildContext(problem, lm, by_p, by_o)
    for rule in in_model_order():  # each side rule adds its own rows (flok/solvers/rules/)
        rule.build(ctx)
    _stages(problem, lm)
    return lm


def _stages(problem: Problem, lm: SideModel) -> None:
    opts = problem.options
    pairs = lm.pairs
    e = pairs.participant.size
    xs = np.arange(e)
    weight = value_units(opts.group_penalty, pairs.unit)  # exact: unit covers the penalty's decimals
    cost_idx = np.concatenate([xs, np.array([t for t, _ in lm.together], dtype=np.int64)])
    cost_coef = np.concatenate([pairs.cost.astype(np.float64), np.full(len(lm.together), -float(weight))])
    kept = _keep_stage(problem, lm)
    if opts.objective == "sum" and problem.score is not None:
        lm.stages = [*kept, Stage("total score", cost_idx, cost_coef, None)]
        return
    if opts.objective == "sum":
        # Seats first, then cost, in one solve: each seat is worth more than any cost spread.
        big = float(np.abs(pairs.cost).sum()) + abs(weight) * len(lm.together) + 1.0
        if big * max(e, 1) < 2.0**50:  # exact in double precision, so HiGHS sees it exactly
            coef = cost_coef.copy()
            coef[:e] -= big
            lm.stages = [*kept, Stage("seats, then total rank", cost_idx, coef, None)]
            return
    stages = [*kept, Stage("seats", xs, -np.ones(e), "le")]
    rank = np.where(pairs.rank == 0, problem.unlisted_rank, pairs.rank)
    if opts.objective == "lexicographic":
        # One stage per rank level that occurs (the distinct ranks but the largest, in order),
        # not per integer up to the largest rank: same optimum, at most one stage per distinct rank.
        for k in rank_levels(rank).tolist():
            worse = np.flatnonzero(rank > k)
            stages.append(Stage(f"seats worse than choice {k}", worse, np.ones(worse.size), "le"))
    elif opts.objective == "maximin":
        worst = lm.var(0, int(rank.max(initial=1)))
        for i, r in enumerate(rank.tolist()):
            lm.row([worst, i], [1, -r], lo=0)
        stages.append(Stage("worst rank", np.array([worst]), np.ones(1), "le"))
    label = "total rank" if problem.rank is not None else "total score"
    stages.append(Stage(label, cost_idx, cost_coef, None))
    lm.stages = stages


def _keep_stage(problem: Problem, lm: SideModel) -> list[Stage]:
    """Keep as many of ``options.keep``'s seats as possible, before any other objective."""
    if not problem.options.keep:
        return []
    wanted = {tuple(pair) for pair in problem.pair_indices(problem.options.keep, "keep").tolist()}
    pairs = lm.pairs
    idx = np.array(
        [
            i
            for i, pair in enumerate(zip(pairs.participant.tolist(), pairs.opportunity.tolist(), strict=True))
            if pair in wanted
        ],
        dtype=np.int64,
    )
    return [Stage("seats kept from before", idx, -np.ones(idx.size), "le")]


def obvious_conflicts(problem: Problem, pairs: Pairs) -> list[str]:
    """Conflicts a coordinator can read off directly, checked before asking a solver."""
    return [text for rule in RULES if rule.conflicts is not None for text in rule.conflicts(problem, pairs)]
