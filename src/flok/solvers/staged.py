"""The stage loop shared by the exact side-constraint backends (HiGHS MIP and CP-SAT).

Each stage minimizes one expression; its optimum is then fixed (expression ≤ optimum) so
later stages cannot undo it. When the time limit hits, the best allocation found so far
is returned with status ``feasible`` and the gap, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from time import perf_counter
from typing import Any

import numpy as np

from flok.errors import SolverError
from flok.model import Problem
from flok.solvers.base import Progress, ProgressCallback, SolveResult, Status
from flok.solvers.costs import MIP_EXACT, Arcs, build_arcs, lottery_fits, lottery_scale, tie_break
from flok.solvers.diagnose import side_rules_error
from flok.solvers.linear import Stage
from flok.solvers.sidemodel import SideModel, build, pairs_of
from flok.solvers.stagereport import Scale, live_values, stage_values

MAX_PAIRS = 3_000_000


@dataclass
class StageResult:
    status: str  # "optimal" | "feasible" | "infeasible" | "unknown"
    values: np.ndarray | None
    objective: float = 0.0
    bound: float = 0.0


def _outcome(
    problem: Problem,
    lm: SideModel,
    done: list[tuple[Stage, StageResult]],
    unit: float,
    seats: int,
    status: Status,
) -> dict[str, Any]:
    """The report's stage list, proven stages and gap, in seats, people, ranks or score."""
    scale = _scale(problem, lm, unit)
    stages: list[dict[str, Any]] = []
    for stage, res in done:
        values = stage_values(stage, res.objective, res.bound, seats, scale, _big(lm, stage))
        stages.append(
            {"stage": stage.label, "status": res.status, "proven": res.status == "optimal"} | values
        )
    stages += [{"stage": s.label, "status": "not run", "proven": False} for s in lm.stages[len(done) :]]
    out: dict[str, Any] = {
        "stages": stages,
        "proven_stages": [s["stage"] for s in stages if s["proven"]],
    }
    if status == "feasible":
        # The first stage not proven: its gap in its own measure. A stage that never ran (or
        # proved no bound) has no gap to report (None), not the 0 of the proven stage before it.
        first = next(s for s in stages if not s["proven"])
        has = first.get("bound") is not None
        out["gap"] = abs(float(first["objective"]) - float(first["bound"])) if has else None
        out["gap_measure"] = first.get("measure")
        out["gap_stage"] = first["stage"]
        out["unfinished_stages"] = [s["stage"] for s in stages if not s["proven"]]
        if seats == 0:
            out["found_nothing"] = True
            out["note"] = (
                "the time limit ended before anything better than an empty allocation was found; "
                "raise the time limit"
            )
    return out


def _scale(problem: Problem, lm: SideModel, unit: float) -> Scale:
    """How this model's stage objectives map back to seats, people, ranks or score."""
    return Scale(
        unit=unit,
        lottery=max(1, round(lm.pairs.unit / unit)) if unit else 1,
        score=problem.score is not None,
        soft_groups=bool(lm.together),
        offset=problem.options.group_penalty * len(lm.together),
    )


def _big(lm: SideModel, stage: Stage) -> float | None:
    """The per-seat weight of the one-solve "seats, then total rank" stage (read off its first
    coefficient); meaningless, and unused, for the other stages."""
    pairs = lm.pairs
    return float(pairs.cost[0] - stage.coef[0]) if pairs.cost.size and stage.coef.size else None


def _in_user_units(
    progress: ProgressCallback | None, lm: SideModel, scale: Scale, k: int
) -> ProgressCallback | None:
    """The solver's callback for stage ``k``: its best objective and bound translated into the
    stage's own measure, with the stage's number and the share of stages done."""
    if progress is None:
        return None
    stage, total, big = lm.stages[k], len(lm.stages), _big(lm, lm.stages[k])

    def report(p: Progress) -> None:
        out = replace(p, stage=k + 1, stages=total, fraction=k / total if p.fraction is None else p.fraction)
        if p.objective is not None and p.bound is not None:
            values = live_values(stage, p.objective, p.bound, scale, big)
            out = replace(
                out, objective=values["objective"], bound=values["bound"], measure=values["measure"]
            )
        progress(out)

    return report


def _positive_sum(stage: Stage, lm: SideModel) -> bool:
    """Whether the stage sums nonnegative variables with positive weights (0 means all are 0)."""
    return bool((stage.coef > 0).all() and all(lm.lower[i] >= 0 for i in stage.idx.tolist()))


def _already_zero(stage: Stage, at_zero: np.ndarray) -> bool:
    """A later "le" stage over variables already pinned at 0 has optimum 0 and needs no solve.

    With the lexicographic stages (seats worse than v, v rising) this stops the stages once a
    level has nobody worse than it, so their number is bounded by the levels that matter.
    """
    return stage.fix == "le" and bool((stage.coef > 0).all()) and bool(at_zero[stage.idx].all())


class StagedStrategy:
    """Base class: subclasses implement ``open``, ``run_stage`` and ``fix``."""

    name = "staged"
    priority = 100

    def unsupported(self, problem: Problem) -> str | None:
        size = problem.n_preferences
        if problem.options.fill_unlisted:
            size = problem.n_participants * problem.n_opportunities
        if size > MAX_PAIRS:
            return f"{size:,} pair variables exceed the {self.name} limit of {MAX_PAIRS:,}"
        arcs = build_arcs(problem)
        if not lottery_fits(problem, arcs):
            return "seeded tie-breaking would need costs beyond 2^53 (inexact in the linear model)"
        return self.objective_unsupported(problem, arcs)

    def objective_unsupported(self, problem: Problem, arcs: Arcs) -> str | None:
        """Why this backend cannot hold the problem's objective values exactly (None: it can)."""
        return None

    def open(self, lm: SideModel) -> Any:
        raise NotImplementedError

    def run_stage(
        self,
        handle: Any,
        lm: SideModel,
        stage: Stage,
        seconds: float,
        hint: np.ndarray | None,
        progress: ProgressCallback | None,
        seed: int,
    ) -> StageResult:
        raise NotImplementedError

    def fix(self, handle: Any, stage: Stage, value: float) -> None:
        raise NotImplementedError

    def infeasible(self, problem: Problem, lm: SideModel) -> Exception:
        return side_rules_error(problem, lm)

    def solve(self, problem: Problem, progress: ProgressCallback | None = None) -> SolveResult:
        t0 = perf_counter()
        opts = problem.options
        pairs = pairs_of(problem)
        unit = pairs.unit  # before any lottery factor, to report values in the user's units
        if opts.seed is not None:
            units = int(problem.seats_allowed().sum())
            perturbed = tie_break([pairs.cost], units, opts.seed, MIP_EXACT)  # exact in doubles
            scale = lottery_scale([pairs.cost], units, MIP_EXACT)
            if perturbed is not None and scale is not None:
                pairs.cost = perturbed[0]
                # The soft-group penalty is weighed in cost units (sidemodel._stages): scale it
                # with the seats' costs, or a seed would make splitting friends look cheap.
                pairs.unit *= scale[0]
        lm = build(problem, pairs)
        if lm.n_vars == 0:
            lm.var(0, 0)  # backends need at least one variable; this one is fixed at 0
        handle = self.open(lm)
        t1 = perf_counter()
        deadline = t1 + opts.time_limit  # the limit is on solving, not on building the model
        in_units = _scale(problem, lm, unit)
        done: list[tuple[Stage, StageResult]] = []
        values: np.ndarray | None = None
        at_zero = np.zeros(lm.n_vars, dtype=bool)  # variables an earlier stage pinned at 0
        for k, stage in enumerate(lm.stages):
            if values is not None and _already_zero(stage, at_zero):
                done.append((stage, StageResult("optimal", values, 0.0, 0.0)))
                continue  # e.g. nobody is worse than choice 2, so nobody is worse than choice 3
            live = _in_user_units(progress, lm, in_units, k)
            if live:
                live(Progress(f"stage {k + 1}/{len(lm.stages)}: {stage.label}", seconds=perf_counter() - t0))
            res = self.run_stage(
                handle, lm, stage, max(0.01, deadline - perf_counter()), values, live, opts.seed or 0
            )
            if res.status == "infeasible" and not done:
                raise self.infeasible(problem, lm)
            if res.values is None:
                if values is not None:
                    break  # out of time in a later stage: keep the previous stage's allocation
                raise SolverError(
                    f"{self.name} stopped without a solution; raise the time limit "
                    f"(now {opts.time_limit:g} s)"
                )
            values = res.values
            done.append((stage, res))
            if res.status != "optimal":
                break  # an unproven stage cannot be fixed exactly; report the gap
            if stage.fix is not None and k + 1 < len(lm.stages):
                self.fix(handle, stage, res.objective)
                if res.objective == 0 and _positive_sum(stage, lm):
                    at_zero[stage.idx] = True
        t2 = perf_counter()
        assert values is not None
        chosen = np.round(values[: pairs.participant.size]).astype(bool)
        part, opp = pairs.participant[chosen], pairs.opportunity[chosen]
        order = np.lexsort((opp, part))
        part, opp = part[order], opp[order]
        complete = len(done) == len(lm.stages)
        status: Status = "optimal" if complete and all(r.status == "optimal" for _, r in done) else "feasible"
        details: dict[str, Any] = {"backend": self.name}
        details.update(_outcome(problem, lm, done, unit, int(part.size), status))
        if lm.runs:
            used = np.bincount(opp, minlength=problem.n_opportunities)
            details["cancelled"] = [
                str(problem.opportunity_ids[o])
                for o in sorted(lm.runs)
                if used[o] == 0 and problem.min_size is not None and problem.min_size[o] > 1
            ]
        if lm.together:
            details["separated_pairs"] = int(sum(1 for t, _ in lm.together if round(values[t]) == 0))
        last = done[-1][1]
        t3 = perf_counter()
        if progress:
            shown = details["stages"][len(done) - 1]  # the last stage that ran, in its own measure
            progress(
                Progress(
                    f"{self.name} finished",
                    fraction=1.0,
                    objective=shown.get("objective"),
                    bound=shown.get("bound"),
                    seconds=t3 - t0,
                    measure=shown.get("measure"),
                    stage=len(done),
                    stages=len(lm.stages),
                )
            )
        return SolveResult(
            participant=part,
            opportunity=opp,
            status=status,
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            decode_seconds=t3 - t2,
            bound=last.bound,
            details=details,
        )
