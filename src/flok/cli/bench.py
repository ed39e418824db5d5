"""``flok bench``: benchmarks that print a table (never part of the test suite)."""

from __future__ import annotations

from typing import Annotated

import typer

from flok.cli.app import OneLineUsage, app

bench_app = typer.Typer(
    help="Benchmarks: seeded instances, timings printed as a table.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@bench_app.command("allocate", cls=OneLineUsage)
def bench_allocate(
    max_participants: Annotated[int, typer.Option(help="Largest size to run.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Instance seed.")] = 0,
) -> None:
    """Seat allocation at 1k×50 … 1M×10k against naive OR-Tools and PuLP/CBC, then the native flow
    engine beside OR-Tools' best in-memory formulation (interleaved, with ratios) and warm re-solves."""
    from flok.bench.allocate import SIZES, main

    main([s for s in SIZES if s[0] <= max_participants], seed)


@bench_app.command("constraints", cls=OneLineUsage)
def bench_constraints(
    only: Annotated[str | None, typer.Option(help="Run only cases whose label contains this text.")] = None,
    time_limit: Annotated[float, typer.Option(help="Time limit per case (MIP or CP-SAT), seconds.")] = 60.0,
) -> None:
    """Side constraints and fairness objectives: strategy chosen, time, proven optimal or gap."""
    from flok.bench.constraints import main

    main(only, time_limit)


@bench_app.command("resolve", cls=OneLineUsage)
def bench_resolve(seed: Annotated[int, typer.Option(help="Instance seed.")] = 0) -> None:
    """Re-solve after a 1% change (strict, balanced, free) next to a cold solve."""
    from flok.bench.resolve import main

    main(seed)


@bench_app.command("startup", cls=OneLineUsage)
def bench_startup(
    csv: Annotated[
        bool, typer.Option(help="Also time flok allocate CSV to CSV, with and without the report.")
    ] = True,
    participants: Annotated[int, typer.Option(help="End-to-end instance: participants.")] = 100_000,
    opportunities: Annotated[int, typer.Option(help="End-to-end instance: opportunities.")] = 2_000,
) -> None:
    """Start-up (import flok, flok --help) in fresh interpreters, and flok allocate CSV to CSV."""
    from flok.bench.startup import main

    main(csv=csv, n=participants, m=opportunities)
