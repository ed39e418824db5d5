"""``flok allocate``: CSV or JSON in, assignments.csv and report.json out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flok.allocation import Allocation
from flok.cli.app import app, guarded
from flok.engine import allocate
from flok.io.problem_io import apply_rule_files, read_problem, write_allocation
from flok.io.writers import outputs
from flok.model import Problem
from flok.options import GROUP_MODES, OBJECTIVES
from flok.solvers.base import Progress
from flok.solvers.base import names as strategy_names


def summary(allocation: Allocation) -> str:
    """A short human summary: counts, rank histogram with bars, fill and time."""
    s = allocation.stats
    p = allocation.problem
    n = max(p.n_participants, 1)
    lines = [
        f"Assigned {s.assigned:,} of {p.n_participants:,} participants ({100 * s.assigned / n:.1f}%) "
        f"to {p.n_opportunities:,} opportunities — {allocation.strategy}, {allocation.status}",
    ]
    hist = {k: v for k, v in s.rank_histogram.items() if k != "unassigned"}
    top = max([*hist.values(), s.unassigned, 1])
    label = "rank" if p.mode == "rank" else "choice"
    for key, count in [*hist.items(), ("unassigned", s.unassigned)]:
        name = f"{label} {key}" if key.isdigit() else key
        bar = "█" * max(0, round(30 * count / top))
        lines.append(f"  {name:>12}: {count:>9,}  {bar}")
    if s.fill_rate is not None:
        lines.append(f"Fill rate: {100 * s.fill_rate:.1f}% of {int(p.capacity.sum()):,} seats")
    objective = "total rank" if p.mode == "rank" else "total score"
    lines.append(f"Objective ({objective}): {s.objective:g}")
    lines.append(f"Time: {s.total_seconds:.3f} s (solve {s.solve_seconds:.3f} s)")
    return "\n".join(lines)


def _choice(value: str | None, allowed: tuple[str, ...], flag: str) -> str | None:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"choose from {', '.join(allowed)}", param_hint=flag)
    return value


def run_with_progress(problem: Problem, strategy: str, *, quiet: bool = False) -> Allocation:
    """Allocate, showing a live bar with the best objective and bound while CP-SAT works."""
    import sys

    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    if quiet or not sys.stderr.isatty():
        return allocate(problem, strategy)
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}"),
        transient=True,
    ) as bar:
        task = bar.add_task("allocating", total=1.0, detail="")

        def show(p: Progress) -> None:
            detail = ""
            if p.objective is not None:
                detail = f"best {p.objective:g}"
                if p.bound is not None:
                    detail += f"  bound {p.bound:g}"
            bar.update(task, description=p.message, completed=p.fraction or 0.0, detail=detail)

        return allocate(problem, strategy, progress=show)


@app.command("allocate")
@guarded
def allocate_cmd(
    problem: Annotated[Path | None, typer.Argument(help="One JSON problem file (instead of CSVs).")] = None,
    opportunities: Annotated[Path | None, typer.Option(help="opportunities.csv")] = None,
    preferences: Annotated[Path | None, typer.Option(help="preferences.csv")] = None,
    participants: Annotated[Path | None, typer.Option(help="participants.csv (optional)")] = None,
    fill_unlisted: Annotated[
        bool | None,
        typer.Option(
            "--fill-unlisted", help="Seat people in opportunities they did not rank (cost max rank + 2)."
        ),
    ] = None,
    no_unassigned: Annotated[
        bool,
        typer.Option("--no-unassigned", help="Every participant must get a seat, or fail with the reason."),
    ] = False,
    min_score: Annotated[float | None, typer.Option(help="Score mode: never assign below this.")] = None,
    strategy: Annotated[str, typer.Option(help="auto, min_cost_flow or cp_sat.")] = "auto",
    objective: Annotated[str | None, typer.Option(help="sum, lexicographic or maximin.")] = None,
    group_mode: Annotated[
        str | None, typer.Option(help="hard or soft (groups from participants.csv).")
    ] = None,
    group_penalty: Annotated[float | None, typer.Option(help="Soft groups: cost per separated pair.")] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="CP-SAT time limit in seconds (default 60).")
    ] = None,
    category_limit: Annotated[
        int | None, typer.Option(help="At most this many seats per participant in each category.")
    ] = None,
    forbidden: Annotated[
        Path | None, typer.Option(help="CSV of participant_id,opportunity_id never to assign.")
    ] = None,
    forced: Annotated[
        Path | None, typer.Option(help="CSV of participant_id,opportunity_id to assign.")
    ] = None,
    quotas: Annotated[Path | None, typer.Option(help="quotas.csv (see README).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible lottery among ties.")] = None,
    out: Annotated[str, typer.Option(help="assignments.csv to write, or - for stdout.")] = ...,  # type: ignore[assignment]
    report: Annotated[Path | None, typer.Option(help="report.json to write.")] = None,
) -> None:
    """Allocate seats from ranked (or scored) preferences, optimally."""
    if strategy not in strategy_names():
        raise typer.BadParameter(f"choose from {', '.join(strategy_names())}", param_hint="--strategy")
    overrides = {
        "fill_unlisted": fill_unlisted,
        "min_score": min_score,
        "seed": seed,
        "allow_unassigned": False if no_unassigned else None,
        "objective": _choice(objective, OBJECTIVES, "--objective"),
        "group_mode": _choice(group_mode, GROUP_MODES, "--group-mode"),
        "group_penalty": group_penalty,
        "time_limit": time_limit,
        "category_limit": None if category_limit is None else (("*", category_limit),),
    }
    prob = read_problem(
        problem_json=problem,
        opportunities=opportunities,
        preferences=preferences,
        participants=participants,
        overrides=overrides,
    )
    prob = apply_rule_files(prob, forbidden=forbidden, forced=forced, quotas=quotas)
    result = run_with_progress(prob, strategy, quiet=(out == "-"))
    with outputs() as out_files:
        write_allocation(result, out_files, assignments=out, report=report)
    typer.echo(summary(result), err=(out == "-"))
