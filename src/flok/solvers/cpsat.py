"""The CP-SAT strategy: every side constraint, fairness objectives, a time limit and progress.

One Boolean per acceptable (participant, opportunity) pair. The objective is staged:
``sum`` is one weighted objective (seats first, then total cost); ``lexicographic`` and
``maximin`` are solved as successive stages, each fixing the optimum of the one before.
When the time limit hits, the best allocation found is returned with status ``feasible``
and the gap; an infeasible model is re-solved with one assumption literal per rule so the
error can name the rules that conflict.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from flok.errors import InfeasibleError, SolverError
from flok.model import Problem
from flok.solvers.base import Progress, ProgressCallback, SolveResult, Status, register
from flok.solvers.costs import build_arcs, tie_break

MAX_PAIRS = 3_000_000


@dataclass
class _Pairs:
    participant: np.ndarray
    opportunity: np.ndarray
    rank: np.ndarray  # 0 = unlisted
    cost: np.ndarray


def _pairs(problem: Problem) -> _Pairs:
    """Acceptable pairs, unlisted ones (fill_unlisted) and forced ones, with their costs."""
    arcs = build_arcs(problem)
    part, opp, rank, cost = [arcs.participant], [arcs.opportunity], [arcs.rank], [arcs.cost]
    m = max(problem.n_opportunities, 1)
    have = set((arcs.participant * m + arcs.opportunity).tolist())
    extra: list[tuple[int, int]] = []
    if problem.options.fill_unlisted:
        forbidden = set(map(tuple, problem.pair_indices(problem.options.forbidden, "forbidden").tolist()))
        listed = set((problem.pref_participant * m + problem.pref_opportunity).tolist())
        for p in range(problem.n_participants):
            for o in range(problem.n_opportunities):
                if p * m + o not in listed and (p, o) not in forbidden:
                    extra.append((p, o))
    for p, o in problem.pair_indices(problem.options.forced, "forced").tolist():
        if p * m + o not in have and (p, o) not in extra:
            extra.append((p, o))
    if extra:
        ep = np.array([e[0] for e in extra], dtype=np.int64)
        eo = np.array([e[1] for e in extra], dtype=np.int64)
        part.append(ep)
        opp.append(eo)
        rank.append(np.zeros(ep.size, dtype=np.int64))
        cost.append(np.full(ep.size, arcs.unlisted_cost, dtype=np.int64))
    return _Pairs(np.concatenate(part), np.concatenate(opp), np.concatenate(rank), np.concatenate(cost))


def _groups(index: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(index, kind="stable")
    bounds = np.flatnonzero(np.diff(index[order])) + 1
    return [g for g in np.split(order, bounds) if g.size]


@dataclass
class _Model:
    model: cp_model.CpModel
    x: list[Any]
    seats: Any
    cost: Any
    rules: dict[str, Any] = field(default_factory=dict)  # assumption literal -> rule text
    separated: list[tuple[Any, int]] = field(default_factory=list)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: str, callback: ProgressCallback | None) -> None:
        super().__init__()
        self.stage = stage
        self.callback = callback

    def on_solution_callback(self) -> None:
        if self.callback:
            self.callback(
                Progress(
                    f"{self.stage}: improving",
                    objective=self.objective_value,
                    bound=self.best_objective_bound,
                    seconds=self.wall_time,
                )
            )


class CpSatStrategy:
    name = "cp_sat"
    priority = 20

    def unsupported(self, problem: Problem) -> str | None:
        size = problem.n_preferences
        if problem.options.fill_unlisted:
            size = problem.n_participants * problem.n_opportunities
        if size > MAX_PAIRS:
            return f"{size:,} pair variables exceed the CP-SAT limit of {MAX_PAIRS:,}"
        return None

    # --- model -----------------------------------------------------------------------------
    def _build(self, problem: Problem, pairs: _Pairs, *, diagnose: bool) -> _Model:
        opts = problem.options
        n, m = problem.n_participants, problem.n_opportunities
        model = cp_model.CpModel()
        x = [model.new_bool_var(f"x{i}") for i in range(pairs.participant.size)]
        by_p: dict[int, list[int]] = defaultdict(list)
        by_o: dict[int, list[int]] = defaultdict(list)
        for i, (p, o) in enumerate(zip(pairs.participant.tolist(), pairs.opportunity.tolist(), strict=True)):
            by_p[p].append(i)
            by_o[o].append(i)
        rules: dict[str, Any] = {}

        def rule(text: str) -> list[Any]:
            """An enforcement literal for one rule when diagnosing, else none (a hard rule)."""
            if not diagnose:
                return []
            lit = model.new_bool_var(text)
            rules[text] = lit
            return [lit]

        seat_cap = problem.seats_allowed()
        pids, oids = problem.participant_ids, problem.opportunity_ids
        for p in range(n):
            idx = by_p.get(p, [])
            model.add(sum(x[i] for i in idx) <= int(seat_cap[p]))
            if not opts.allow_unassigned:
                lits = rule(f"participant {pids[p]} must get a seat")
                model.add(sum(x[i] for i in idx) >= 1).only_enforce_if(lits)
        sizes: dict[int, Any] = {}
        for o in range(m):
            idx = by_o.get(o, [])
            sizes[o] = sum(x[i] for i in idx)
            model.add(sizes[o] <= int(problem.capacity[o]))
        # Minimum sizes: run with at least min_size, or not at all.
        if problem.min_size is not None:
            for o in np.flatnonzero(problem.min_size > 1).tolist():
                runs = model.new_bool_var(f"runs{o}")
                lits = rule(f"opportunity {oids[o]} needs at least {problem.min_size[o]} participants to run")
                model.add(sizes[o] >= int(problem.min_size[o]) * runs).only_enforce_if(lits)
                model.add(sizes[o] <= int(problem.capacity[o]) * runs)
        # Forced pairs.
        where = {
            (p, o): i
            for i, (p, o) in enumerate(
                zip(pairs.participant.tolist(), pairs.opportunity.tolist(), strict=True)
            )
        }
        for p, o in problem.pair_indices(opts.forced, "forced").tolist():
            model.add(x[where[(p, o)]] == 1).only_enforce_if(rule(f"forced pair ({pids[p]}, {oids[o]})"))
        # Time clashes (only matter for participants who may hold several seats).
        clashes = problem.clashing_pairs()
        if clashes.size:
            clash_set = set(map(tuple, clashes.tolist()))
            for p in np.flatnonzero(seat_cap > 1).tolist():
                idx = by_p.get(p, [])
                for a_i, a in enumerate(idx):
                    for b in idx[a_i + 1 :]:
                        oa, ob = int(pairs.opportunity[a]), int(pairs.opportunity[b])
                        if (min(oa, ob), max(oa, ob)) in clash_set:
                            model.add(x[a] + x[b] <= 1)
        # Category limits per participant.
        if opts.category_limit and problem.category is not None:
            limits = dict(opts.category_limit)
            for idx in by_p.values():
                per_cat: dict[str, list[int]] = defaultdict(list)
                for i in idx:
                    cat = str(problem.category[pairs.opportunity[i]])
                    if cat:
                        per_cat[cat].append(i)
                for cat, members in per_cat.items():
                    limit = limits.get(cat, limits.get("*"))
                    if limit is not None and len(members) > limit:
                        model.add(sum(x[i] for i in members) <= limit)
        # Quotas.
        for q in opts.quotas:
            attr = problem.participant_attributes[q.attribute]
            targets = [int(np.flatnonzero(oids == q.opportunity)[0])] if q.opportunity else range(m)
            for o in targets:
                idx = by_o.get(o, [])
                match = [i for i in idx if str(attr[pairs.participant[i]]) == q.value]
                count = sum(x[i] for i in match)
                lits = rule(f"quota: {q.describe()}")
                if q.max is not None:
                    model.add(count <= q.max).only_enforce_if(lits)
                if q.max_share is not None:
                    num = round(q.max_share * 1000)
                    model.add(1000 * count <= num * sizes[o]).only_enforce_if(lits)
                if q.min is not None and q.min > 0:
                    runs = model.new_bool_var(f"q_runs{o}")
                    model.add(sizes[o] >= 1).only_enforce_if(runs)
                    model.add(sizes[o] == 0).only_enforce_if(runs.Not())
                    model.add(count >= q.min).only_enforce_if([runs, *lits])
        # Groups: hard (same opportunities or none) or soft (a penalty per separated pair).
        separated: list[tuple[Any, int]] = []
        _, members_list = problem.group_index()
        for group_members in members_list:
            name = str(problem.group[group_members[0]])  # type: ignore[index]
            per_member = [{int(pairs.opportunity[i]): i for i in by_p.get(int(p), [])} for p in group_members]
            common = set.intersection(*(set(d) for d in per_member))
            if opts.group_mode == "hard":
                lits = rule(f"group {name} ({group_members.size} people) must stay together")
                for d in per_member:
                    for o, i in d.items():
                        if o not in common:
                            model.add(x[i] == 0).only_enforce_if(lits)
                for o in common:
                    first = per_member[0][o]
                    for d in per_member[1:]:
                        model.add(x[d[o]] == x[first]).only_enforce_if(lits)
            else:
                weight = round(opts.group_penalty * _unit(problem))
                for a in range(len(per_member)):
                    for b in range(a + 1, len(per_member)):
                        shared = [o for o in per_member[a] if o in per_member[b]]
                        together = model.new_bool_var(f"together_{name}_{a}_{b}")
                        links = []
                        for o in shared:
                            y = model.new_bool_var("")
                            model.add_implication(y, x[per_member[a][o]])
                            model.add_implication(y, x[per_member[b][o]])
                            links.append(y)
                        model.add(together <= sum(links))
                        separated.append((together, weight))
        seats = sum(x)
        cost = sum(int(c) * x[i] for i, c in enumerate(pairs.cost.tolist())) - sum(
            w * t for t, w in separated
        )
        return _Model(model=model, x=x, seats=seats, cost=cost, rules=rules, separated=separated)

    # --- solve -----------------------------------------------------------------------------
    def solve(self, problem: Problem, progress: ProgressCallback | None = None) -> SolveResult:
        t0 = perf_counter()
        opts = problem.options
        pairs = _pairs(problem)
        if opts.seed is not None:
            units = int(problem.seats_allowed().sum())
            perturbed = tie_break([pairs.cost], units, opts.seed)
            if perturbed is not None:
                pairs.cost = perturbed[0]
        built = self._build(problem, pairs, diagnose=False)
        t1 = perf_counter()
        deadline = perf_counter() + opts.time_limit  # the limit is on solving, not model building
        stages = self._stages(problem, pairs, built)
        statuses: list[str] = []
        values: list[float] = []
        bounds: list[float] = []
        solver = cp_model.CpSolver()
        solution: list[int] | None = None
        if opts.allow_unassigned and not opts.forced:
            # Nobody seated satisfies every rule then: a first solution CP-SAT finds at once.
            for var in built.x:
                built.model.add_hint(var, 0)
        for k, (label, expr, goal) in enumerate(stages):
            remaining = max(0.01, deadline - perf_counter())
            solver.parameters.max_time_in_seconds = remaining
            solver.parameters.num_workers = min(8, os.cpu_count() or 1)
            solver.parameters.random_seed = opts.seed or 0
            built.model.minimize(expr)
            if solution is not None:
                built.model.clear_hints()
                for var, val in zip(built.x, solution, strict=True):
                    built.model.add_hint(var, val)
            if progress:
                progress(
                    Progress(
                        f"stage {k + 1}/{len(stages)}: {label}",
                        fraction=k / len(stages),
                        seconds=perf_counter() - t0,
                    )
                )
            status = solver.solve(built.model, _Progress(label, progress))
            if status == cp_model.INFEASIBLE:
                raise self._infeasible(problem, pairs)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solution is not None:
                break  # out of time in a later stage: keep the previous stage's allocation
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                raise SolverError(
                    f"CP-SAT stopped without a solution ({solver.status_name(status)}); "
                    f"raise the time limit (now {opts.time_limit:g} s)"
                )
            solution = [int(solver.value(v)) for v in built.x]
            statuses.append("optimal" if status == cp_model.OPTIMAL else "feasible")
            best = round(solver.objective_value)
            values.append(best)
            bounds.append(solver.best_objective_bound)
            if goal is not None and k + 1 < len(stages):
                built.model.add(goal(best))
        t2 = perf_counter()
        assert solution is not None
        chosen = np.array(solution, dtype=bool)
        part, opp = pairs.participant[chosen], pairs.opportunity[chosen]
        order = np.lexsort((opp, part))
        part, opp = part[order], opp[order]
        used = np.bincount(opp, minlength=problem.n_opportunities)
        details: dict[str, Any] = {
            "stages": [
                {"stage": s[0], "status": st, "objective": v, "bound": b}
                for s, st, v, b in zip(stages[: len(statuses)], statuses, values, bounds, strict=True)
            ],
        }
        if problem.min_size is not None:
            details["cancelled"] = [
                str(problem.opportunity_ids[o]) for o in np.flatnonzero((problem.min_size > 1) & (used == 0))
            ]
        if built.separated:
            details["separated_pairs"] = int(sum(1 for t, _ in built.separated if not solver.value(t)))
        complete = len(statuses) == len(stages)
        status_all: Status = "optimal" if complete and all(s == "optimal" for s in statuses) else "feasible"
        if status_all == "feasible":
            v, b = values[-1], bounds[-1]
            details["gap"] = abs(v - b) / max(1.0, abs(v))
            if not complete:
                details["unfinished_stages"] = [s[0] for s in stages[len(statuses) :]]
        t3 = perf_counter()
        if progress:
            progress(
                Progress(
                    "CP-SAT finished", fraction=1.0, objective=values[-1], bound=bounds[-1], seconds=t3 - t0
                )
            )
        return SolveResult(
            participant=part,
            opportunity=opp,
            status=status_all,
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            decode_seconds=t3 - t2,
            bound=bounds[-1],
            details=details,
        )

    def _stages(self, problem: Problem, pairs: _Pairs, built: _Model) -> list[tuple[str, Any, Any]]:
        """(label, expression to minimize, constraint fixing its optimum) per stage."""
        opts = problem.options
        x = built.x

        def fix_le(expr: Any) -> Any:
            return lambda v: expr <= v

        if opts.objective == "sum":
            if problem.score is not None:
                return [("total score", built.cost, None)]
            big = int(np.abs(pairs.cost).sum()) + sum(w for _, w in built.separated) + 1
            return [("seats, then total rank", built.cost - big * built.seats, None)]
        stages: list[tuple[str, Any, Any]] = [("seats", -built.seats, lambda v: built.seats >= -v)]
        rank = np.where(pairs.rank == 0, problem.unlisted_rank, pairs.rank)
        if opts.objective == "lexicographic":
            for k in range(1, int(rank.max(initial=1))):
                worse = sum(x[i] for i in np.flatnonzero(rank > k).tolist())
                stages.append((f"seats worse than choice {k}", worse, fix_le(worse)))
        else:
            worst = built.model.new_int_var(0, int(rank.max(initial=1)), "worst_rank")
            for i, r in enumerate(rank.tolist()):
                built.model.add(worst >= r).only_enforce_if(x[i])
            stages.append(("worst rank", worst, fix_le(worst)))
        stages.append(("total cost", built.cost, None))
        return stages

    def _infeasible(self, problem: Problem, pairs: _Pairs) -> InfeasibleError:
        reasons = _obvious_conflicts(problem, pairs)
        diag = self._build(problem, pairs, diagnose=True)
        diag.model.add_assumptions(list(diag.rules.values()))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = 10.0
        solver.parameters.num_workers = 1
        if solver.solve(diag.model) == cp_model.INFEASIBLE:
            core = set(solver.sufficient_assumptions_for_infeasibility())
            names = {lit.index: text for text, lit in diag.rules.items()}
            conflict = [names[i] for i in sorted(core) if i in names]
            if conflict:
                reasons.append("these rules cannot all hold together: " + "; ".join(conflict[:8]))
        return InfeasibleError(
            "no allocation satisfies every rule",
            reasons=reasons or ["the capacities and hard rules conflict"],
            hints=["relax one of the rules named above", "add seats"],
        )


def _unit(problem: Problem) -> float:
    arcs = build_arcs(problem)
    return arcs.unit


def _obvious_conflicts(problem: Problem, pairs: _Pairs) -> list[str]:
    """Conflicts a coordinator can read off directly, checked before asking the solver."""
    out: list[str] = []
    opts = problem.options
    if opts.group_mode == "hard":
        for members in problem.group_index()[1]:
            name = str(problem.group[members[0]])  # type: ignore[index]
            sets = [set(pairs.opportunity[pairs.participant == p].tolist()) for p in members]
            fits = [o for o in set.intersection(*sets) if problem.capacity[o] >= members.size]
            forced_member = any(
                str(problem.participant_ids[p]) in {f[0] for f in opts.forced} for p in members
            )
            if not fits and (not opts.allow_unassigned or forced_member):
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
    for q in opts.quotas:
        if q.min is not None and q.max is not None and q.min > q.max:
            out.append(f"quota {q.describe()} is contradictory")
    return out


register(CpSatStrategy())
