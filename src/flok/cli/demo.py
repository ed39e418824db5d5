"""``flok demo``: a seeded allocation on generated data, so a new user sees Flok work at once."""

from __future__ import annotations

from typing import Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded


@app.command("demo", cls=OneLineUsage)
@guarded
def demo_cmd(
    participants: Annotated[int, typer.Option(help="How many participants to generate.")] = 10_000,
    opportunities: Annotated[int, typer.Option(help="How many opportunities.")] = 500,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 1,
) -> None:
    """Generate a Zipf-skewed campaign and allocate it."""
    from flok.bench.generate import zipf_instance
    from flok.cli.allocate import summary
    from flok.engine import allocate

    inst = zipf_instance(participants, opportunities, seed=seed)
    typer.echo(
        f"Demo campaign: {participants:,} participants rank 3–10 of {opportunities:,} "
        f"opportunities ({int(inst.capacity.sum()):,} seats; a few are heavily oversubscribed)."
    )
    result = allocate(inst.problem())
    typer.echo(summary(result))
