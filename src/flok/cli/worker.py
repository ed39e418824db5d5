"""``flok worker``: execute queued runs from the PostgreSQL queue (start as many as you like)."""

from __future__ import annotations

from typing import Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded


@app.command("worker", cls=OneLineUsage)
@guarded
def worker_cmd(
    database_url: Annotated[str | None, typer.Option(help="Overrides FLOK_DATABASE_URL.")] = None,
    name: Annotated[str | None, typer.Option(help="Worker name in logs and runs.")] = None,
    burst: Annotated[bool, typer.Option("--burst", help="Exit once the queue is empty.")] = False,
) -> None:
    """Run allocation and rebalance jobs from the PostgreSQL queue until stopped."""
    from flok.app.keys import database_label, open_database
    from flok.app.settings import Settings
    from flok.app.worker.pg_queue import run_worker
    from flok.pulse import PulseConfig
    from flok.store.faults import opening

    settings = Settings.load(database_url)
    if settings.is_sqlite:
        raise typer.BadParameter(
            "workers need PostgreSQL (FLOK_DATABASE_URL=postgresql://…); "
            "with SQLite, runs execute inside `flok serve`"
        )
    with opening(database_label(settings.database_url)):  # down at start: exit 6, one line
        db = open_database(settings.database_url)
    typer.echo("flok worker: waiting for runs (Ctrl+C to stop)")
    run_worker(
        db,
        name=name,
        wait=not burst,
        delay=settings.run_delay_seconds,
        stale_after=settings.stale_run_seconds,
        sweep_seconds=settings.sweep_seconds,
        max_per_org=settings.max_runs_per_org,
        pulse=PulseConfig(lead_hours=settings.signup_lead_hours),
        tick_seconds=settings.schedule_tick_seconds,
    )
