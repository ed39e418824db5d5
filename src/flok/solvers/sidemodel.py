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
from flok.solvers.costs import build_arcs
from flok.solvers.linear import LinearModel, Stage

INF = float("inf")


@dataclass
class Pairs:
    participant: np.ndarray
    opportunity: np.ndarray
    rank: np.ndarray  # 0 = unlisted
    cost: np.ndarray
    unit: float


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
    pids, oids = problem.participant_ids, problem.opportunity_ids
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
    _min_sizes(problem, lm, by_o)
    where = {
        (p, o): i
        for i, (p, o) in enumerate(zip(pairs.participant.tolist(), pairs.opportunity.tolist(), strict=True))
    }
    for p, o in problem.pair_indices(opts.forced, "forced").tolist():
        lm.row([where[(p, o)]], [1], lo=1, rule=f"forced pair ({pids[p]}, {oids[o]})")
    _clashes(problem, lm, by_p)
    _category_limits(problem, lm, by_p)
    _quotas(problem, lm, by_o)
    _groups(problem, lm, by_p)
    _stages(problem, lm)
    return lm


def _runs(lm: SideModel, problem: Problem, o: int, idx: list[int]) -> int:
    """A 0/1 variable: the opportunity runs (has anyone), linked both ways to its size."""
    if o not in lm.runs:
        r = lm.var()
        cap = int(problem.capacity[o])
        lm.row([*idx, r], [*np.ones(len(idx)), -cap], hi=0)  # size ≤ cap·runs
        lm.row([*idx, r], [*np.ones(len(idx)), -1], lo=0)  # size ≥ runs
        lm.runs[o] = r
    return lm.runs[o]


def _min_sizes(problem: Problem, lm: SideModel, by_o: dict[int, list[int]]) -> None:
    if problem.min_size is None:
        return
    for o in np.flatnonzero(problem.min_size > 1).tolist():
        idx = by_o.get(o, [])
        r = _runs(lm, problem, o, idx)
        k = int(problem.min_size[o])
        lm.row(
            [*idx, r],
            [*np.ones(len(idx)), -k],
            lo=0,
            rule=f"opportunity {problem.opportunity_ids[o]} needs at least {k} participants to run",
        )


def _clashes(problem: Problem, lm: SideModel, by_p: dict[int, list[int]]) -> None:
    clashes = problem.clashing_pairs()
    if not clashes.size:
        return
    clash_set = set(map(tuple, clashes.tolist()))
    opp = lm.pairs.opportunity
    for p in np.flatnonzero(problem.seats_allowed() > 1).tolist():
        idx = by_p.get(p, [])
        for k, a in enumerate(idx):
            for b in idx[k + 1 :]:
                oa, ob = int(opp[a]), int(opp[b])
                if (min(oa, ob), max(oa, ob)) in clash_set:
                    lm.row([a, b], [1, 1], hi=1)


def _category_limits(problem: Problem, lm: SideModel, by_p: dict[int, list[int]]) -> None:
    if not problem.options.category_limit or problem.category is None:
        return
    limits = dict(problem.options.category_limit)
    for idx in by_p.values():
        per_cat: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            cat = str(problem.category[lm.pairs.opportunity[i]])
            if cat:
                per_cat[cat].append(i)
        for cat, members in per_cat.items():
            limit = limits.get(cat, limits.get("*"))
            if limit is not None and len(members) > limit:
                lm.row(members, np.ones(len(members)), hi=limit)


def _quotas(problem: Problem, lm: SideModel, by_o: dict[int, list[int]]) -> None:
    oids = problem.opportunity_ids
    for q in problem.options.quotas:
        attr = problem.participant_attributes[q.attribute]
        targets = [int(np.flatnonzero(oids == q.opportunity)[0])] if q.opportunity else list(by_o)
        rule = f"quota: {q.describe()}"
        for o in targets:
            idx = by_o.get(o, [])
            match = np.array([str(attr[lm.pairs.participant[i]]) == q.value for i in idx], dtype=bool)
            if q.max is not None and match.sum() > q.max:
                lm.row(np.array(idx)[match], np.ones(int(match.sum())), hi=q.max, rule=rule)
            if q.max_share is not None:
                num = round(q.max_share * 1000)
                lm.row(idx, np.where(match, 1000 - num, -num), hi=0, rule=rule)
            if q.min is not None and q.min > 0:
                r = _runs(lm, problem, o, idx)
                lm.row([*np.array(idx)[match], r], [*np.ones(int(match.sum())), -q.min], lo=0, rule=rule)


def _groups(problem: Problem, lm: SideModel, by_p: dict[int, list[int]]) -> None:
    opts = problem.options
    for members in problem.group_index()[1]:
        name = str(problem.group[members[0]])  # type: ignore[index]
        per_member = [{int(lm.pairs.opportunity[i]): i for i in by_p.get(int(p), [])} for p in members]
        common = set.intersection(*(set(d) for d in per_member))
        if opts.group_mode == "hard":
            rule = f"group {name} ({members.size} people) must stay together"
            for d in per_member:
                for o, i in d.items():
                    if o not in common:
                        lm.row([i], [1], hi=0, rule=rule)
            for o in sorted(common):
                first = per_member[0][o]
                for d in per_member[1:]:
                    lm.row([d[o], first], [1, -1], lo=0, hi=0, rule=rule)
            continue
        for a in range(len(per_member)):
            for b in range(a + 1, len(per_member)):
                together = lm.var()
                links = []
                for o in per_member[a]:
                    if o in per_member[b]:
                        y = lm.var()
                        lm.row([y, per_member[a][o]], [1, -1], hi=0)
                        lm.row([y, per_member[b][o]], [1, -1], hi=0)
                        links.append(y)
                lm.row([together, *links], [1, *(-np.ones(len(links)))], hi=0)
                lm.together.append((together, name))


def _stages(problem: Problem, lm: SideModel) -> None:
    opts = problem.options
    pairs = lm.pairs
    e = pairs.participant.size
    xs = np.arange(e)
    weight = round(opts.group_penalty * pairs.unit)
    cost_idx = np.concatenate([xs, np.array([t for t, _ in lm.together], dtype=np.int64)])
    cost_coef = np.concatenate([pairs.cost.astype(np.float64), np.full(len(lm.together), -float(weight))])
    if opts.objective == "sum" and problem.score is not None:
        lm.stages = [Stage("total score", cost_idx, cost_coef, None)]
        return
    if opts.objective == "sum":
        # Seats first, then cost, in one solve: each seat is worth more than any cost spread.
        big = float(np.abs(pairs.cost).sum()) + abs(weight) * len(lm.together) + 1.0
        if big * max(e, 1) < 2.0**50:  # exact in double precision, so HiGHS sees it exactly
            coef = cost_coef.copy()
            coef[:e] -= big
            lm.stages = [Stage("seats, then total rank", cost_idx, coef, None)]
            return
    stages = [Stage("seats", xs, -np.ones(e), "le")]
    rank = np.where(pairs.rank == 0, problem.unlisted_rank, pairs.rank)
    if opts.objective == "lexicographic":
        for k in range(1, int(rank.max(initial=1))):
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


def obvious_conflicts(problem: Problem, pairs: Pairs) -> list[str]:
    """Conflicts a coordinator can read off directly, checked before asking a solver."""
    out: list[str] = []
    opts = problem.options
    if opts.group_mode == "hard":
        forced_people = {f[0] for f in opts.forced}
        for members in problem.group_index()[1]:
            name = str(problem.group[members[0]])  # type: ignore[index]
            sets = [set(pairs.opportunity[pairs.participant == p].tolist()) for p in members]
            fits = [o for o in set.intersection(*sets) if problem.capacity[o] >= members.size]
            must = not opts.allow_unassigned or any(
                str(problem.participant_ids[p]) in forced_people for p in members
            )
            if not fits and must:
                out.append(
                    f"group {name} ({members.size} people) fits in no opportunity with "
                    f"{members.size} free seats that all of them accept"
                )
    forced = problem.pair_indices(opts.forced, "forced")
    if forced.size:
        counts = np.bincount(forced[:, 1], minlength=problem.n_opportunities)
        for o in np.flatnonzero(counts > problem.capacity):
            out.append(
                f"{counts[o]} participants are forced into {problem.opportunity_ids[o]}, "
                f"which has {problem.capacity[o]} seats"
            )
    return out
