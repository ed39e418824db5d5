"""``flok allocate``: CSV or JSON in, assignments.csv and report.json out."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flok.cli.app import EXIT_NOTHING_FOUND, OneLineUsage, app, guarded
from flok.errors import InputError
from flok.options import OBJECTIVES
from flok.solvers.rules import cli_flags

if TYPE_CHECKING:  # the engine, solvers and files load when a command runs, not for --help
    from flok.allocation import Allocation
    from flok.model import Problem
    from flok.resolve import Resolution
    from flok.solvers.base import Progress

STRATEGIES = "auto, native_flow, min_cost_flow, mip, cp_sat (or a plug-in's name)"


def allocate(problem: Problem, strategy: str = "auto", **kwargs: Any) -> Allocation:
    """The engine's ``allocate``, imported on first use so ``flok --help`` stays light."""
    from flok.engine import allocate as engine_allocate

    return engine_allocate(problem, strategy, **kwargs)


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
    lines += allocation.status_lines()  # what a time-limited solve proved, in the user's units
    lines.append(f"Time: {s.total_seconds:.3f} s (solve {s.solve_seconds:.3f} s)")
    for source, notes in p.input_notes.items():
        lines.append(f"Read {source}: {'; '.join(notes)}")
    for source, names in p.ignored_columns.items():
        lines.append(f"Ignored columns of {source} (not used by Flok): {', '.join(names)}")
    return "\n".join(lines)


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


def _allocate(
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
    strategy: Annotated[str, typer.Option(help=f"{STRATEGIES}.")] = "auto",
    objective: Annotated[str | None, typer.Option(help=f"{', '.join(OBJECTIVES)}.")] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Seconds the mip and cp_sat solvers may search (default 60; > 0)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible lottery among ties.")] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='Preferences file: FIELD=HEADER, repeatable (e.g. participant_id="Student ID").',
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(help="Preferences file: a named import preset (e.g. lms-wide) or a .toml file."),
    ] = None,
    opportunities_map: Annotated[
        list[str] | None, typer.Option(help="Opportunities file: FIELD=HEADER, repeatable.")
    ] = None,
    participants_map: Annotated[
        list[str] | None, typer.Option(help="Participants file: FIELD=HEADER, repeatable.")
    ] = None,
    opportunities_preset: Annotated[
        str | None,
        typer.Option(help="Opportunities file: a named import preset (e.g. umass-courses) or a .toml file."),
    ] = None,
    participants_preset: Annotated[
        str | None,
        typer.Option(help="Participants file: a named import preset (e.g. umass-students) or a .toml file."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Preferences xlsx: the sheet to read (default: the first).")
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="assignments.csv of the current allocation: re-solve keeping people where they are."
        ),
    ] = None,
    stability: Annotated[
        str | None,
        typer.Option(help="With --previous: strict (default; nobody moves unless forced), balanced or free."),
    ] = None,
    move_cost: Annotated[
        float, typer.Option(help="With --stability balanced: rank steps (score points) a move costs.")
    ] = 1.0,
    diff: Annotated[
        Path | None, typer.Option(help="With --previous: diff.csv of everyone whose seats changed.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Encoding of CSV files that are not UTF-8 (e.g. cp1252); detected if not given."),
    ] = None,
    out: Annotated[str, typer.Option(help="assignments.csv to write, or - for stdout.")] = ...,  # type: ignore[assignment]
    report: Annotated[Path | None, typer.Option(help="report.json to write.")] = None,
    explanations: Annotated[
        Path | None,
        typer.Option(
            help="explanations.csv to write: the reasons as a table, and report.json names the file "
            "(compact, for large runs)."
        ),
    ] = None,
    **rule_flags: Any,
) -> None:
    """Allocate seats from ranked (or scored) preferences, optimally."""
    import flok.engine  # noqa: F401  (registers the strategies)
    from flok.io.mapping import ImportSpec, parse_map
    from flok.io.problem_io import apply_rule_files, read_previous, read_problem, write_allocation, write_diff
    from flok.io.writers import check_targets, outputs
    from flok.options import Options
    from flok.resolve import resolve
    from flok.solvers.base import names as strategy_names

    if strategy not in strategy_names():
        raise InputError(
            f"must be one of {', '.join(strategy_names())}, got {strategy!r}", source="--strategy"
        )
    # Before the solve, so a long run never ends in "cannot write".
    check_targets({"--out": out, "--report": report, "--explanations": explanations, "--diff": diff})
    if previous is None and (stability is not None or diff is not None):
        raise InputError(
            "--stability and --diff need --previous (the current assignments.csv)", source="--previous"
        )
    given: dict[str, tuple[str, Any]] = {  # option key -> (flag, raw value), parsed like JSON options
        "fill_unlisted": ("--fill-unlisted", fill_unlisted),
        "min_score": ("--min-score", min_score),
        "seed": ("--seed", seed),
        "allow_unassigned": ("--no-unassigned", False if no_unassigned else None),
        "objective": ("--objective", objective),
        "time_limit": ("--time-limit", time_limit),
    }
    files: list[tuple[str, str, Path]] = []
    for flag in cli_flags():
        value = rule_flags.get(flag.param)
        if value is None:
            continue
        if flag.kind == "file":
            assert flag.file_reader is not None
            files.append((flag.option, flag.file_reader, value))
        else:  # the raw value, as JSON would give it: the rule's own option parser checks it
            given[flag.option] = (flag.flag, value)
    overrides = {
        key: Options.parse_flag(key, raw, name) for key, (name, raw) in given.items() if raw is not None
    }
    specs = {
        "preferences": ImportSpec(
            columns=parse_map(map_ or []), preset=preset, sheet=sheet, encoding=encoding
        ),
        "opportunities": ImportSpec(
            columns=parse_map(opportunities_map or [], "--opportunities-map"),
            preset=opportunities_preset,
            encoding=encoding,
        ),
        "participants": ImportSpec(
            columns=parse_map(participants_map or [], "--participants-map"),
            preset=participants_preset,
            encoding=encoding,
        ),
    }
    prob = read_problem(
        problem_json=problem,
        opportunities=opportunities,
        preferences=preferences,
        participants=participants,
        overrides=overrides,
        specs=specs,
    )
    prob = apply_rule_files(prob, files)
    resolution: Resolution | None = None
    try:
        if previous is not None:
            pairs = read_previous(previous, ImportSpec(encoding=encoding))
            resolution = resolve(
                prob, pairs, stability=stability or "strict", move_cost=move_cost, strategy=strategy
            )
            result = resolution.allocation
        else:
            result = run_with_progress(prob, strategy, quiet=(out == "-"))
    except InputError as exc:  # the core names a table ("preferences"); the user knows a file
        tables = {"opportunities": opportunities, "preferences": preferences, "participants": participants}
        if exc.source not in tables:
            raise
        path = tables[exc.source]
        where = f"{problem.name} {exc.source}" if problem is not None else (path.name if path else None)
        raise InputError(exc.message, source=where or exc.source, row=exc.row, field=exc.field) from None
    with outputs() as out_files:
        write_allocation(result, out_files, assignments=out, report=report, explanations=explanations)
        if resolution is not None and diff is not None:
            write_diff(resolution, out_files, diff)
    typer.echo(summary(result), err=(out == "-"))
    if resolution is not None and previous is not None:
        typer.echo(f"{resolution.summary()} (from {previous.name})", err=(out == "-"))
    if result.details.get("found_nothing"):
        # Exit 0 here made a time-out that seated nobody look like a successful allocation.
        typer.echo(
            f"flok: no allocation found within the time limit ({prob.options.time_limit:g} s): "
            "the outputs hold the empty allocation with status 'feasible'; raise --time-limit",
            err=True,
        )
        raise typer.Exit(EXIT_NOTHING_FOUND)


def _with_rule_flags(func: Callable[..., None]) -> Callable[..., None]:
    """``func``'s signature with one typer option per registered rule flag (before ``--seed``).

    Typer reads ``__signature__``, so the flags of ``flok allocate`` follow ``RULES``.
    """
    signature = inspect.signature(func, eval_str=True)
    fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    rules = [
        inspect.Parameter(
            flag.param,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[flag.annotation, typer.Option(flag.flag, help=flag.help)],
        )
        for flag in cli_flags()
    ]
    at = next(i for i, p in enumerate(fixed) if p.name == "seed")
    keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fixed[at:]]
    params = [*fixed[:at], *rules, *keyword]

    @functools.wraps(func)
    def command(**kwargs: Any) -> None:
        func(**kwargs)

    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    del command.__wrapped__  # typer must see the new signature, not the wrapped one
    return command


allocate_cmd = app.command("allocate", cls=OneLineUsage)(guarded(_with_rule_flags(_allocate)))
