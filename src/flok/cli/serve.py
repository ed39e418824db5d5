"""``flok serve``: run the HTTP service (uvicorn) on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded


@app.command("serve", cls=OneLineUsage)
@guarded
def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database_url: Annotated[
        str | None, typer.Option(help="Overrides FLOK_DATABASE_URL (default: sqlite:///var/flok.db).")
    ] = None,
    demo_org: Annotated[
        str | None, typer.Option(help="Create this organization if needed and print its first API key.")
    ] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes (PostgreSQL only).")] = 1,
) -> None:
    """Start the Flok service: migrate the database, then serve the API."""
    import uvicorn

    from flok.app.keys import open_database
    from flok.app.settings import Settings
    from flok.server import create_app, seed_demo

    settings = Settings.load(database_url)
    if demo_org:
        db = open_database(settings.database_url)
        key = seed_demo(db, demo_org)
        db.dispose()
        if key:
            typer.echo(
                f"Demo organization '{demo_org}' created. Its API key (shown only this once):\n  {key}"
            )
        else:
            typer.echo(
                f"Demo organization '{demo_org}' exists; its key was printed when it was created "
                f"(keys are stored hashed). New key: flok keys create --org '{demo_org}'"
            )
    typer.echo(f"Flok service on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    typer.echo(f"Dashboard: http://{host}:{port}/ui/  (sign in with the organization's API key)")
    if workers > 1:
        if settings.is_sqlite:
            raise typer.BadParameter("several workers need PostgreSQL (SQLite runs are in-process)")
        import os

        os.environ["FLOK_DATABASE_URL"] = settings.database_url
        uvicorn.run("flok.server.asgi:app", host=host, port=port, workers=workers, log_level="warning")
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
