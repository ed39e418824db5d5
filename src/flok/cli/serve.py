"""``flok serve``: run the HTTP service (uvicorn) on the configured database."""

from __future__ import annotations

import errno
import socket
import sys
from typing import Annotated

import typer

from flok.cli.app import EXIT_INPUT, OneLineUsage, app, guarded


def port_problem(host: str, port: int) -> str | None:
    """Why the service could not listen on host:port (None when it can): checked before anything
    is printed or created, so a taken port is said plainly instead of after the service's address.
    Binds the way uvicorn does (SO_REUSEADDR), so a port in TIME_WAIT is not reported as taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another flok serve?); "
                    f"choose another with --port {port + 1} (make run: PORT={port + 1} make run)"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


@app.command("serve", cls=OneLineUsage)
@guarded
def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", envvar="FLOK_PORT", min=1, max=65535)] = 8000,
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

    from flok.app.keys import database_label, open_database
    from flok.app.settings import Settings
    from flok.server import create_app, seed_demo
    from flok.store.db import sqlite_path
    from flok.store.faults import opening
    from flok.store.serve_lock import hold_serve_lock

    problem = port_problem(host, port)
    if problem is not None:
        print(f"flok: error: {problem}", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT)
    settings = Settings.load(database_url)
    if workers > 1 and settings.is_sqlite:
        raise typer.BadParameter("several workers need PostgreSQL (SQLite runs are in-process)")
    label = database_label(settings.database_url)
    sqlite_file = sqlite_path(settings.database_url)
    if sqlite_file is not None:
        hold_serve_lock(sqlite_file)  # before anything touches the file: one server per file
    with opening(label):  # a database that is down: exit 6 with one line naming it
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
        if workers > 1:
            open_database(settings.database_url).dispose()  # reachable, and migrated once, here
            app_ = None
        else:
            app_ = create_app(settings)
    typer.echo(f"Flok service on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    typer.echo(f"Dashboard: http://{host}:{port}/ui/  (sign in with the organization's API key)")
    typer.echo(f"Database: {label}")
    if app_ is None:
        import os

        os.environ["FLOK_DATABASE_URL"] = settings.database_url
        uvicorn.run("flok.server.asgi:app", host=host, port=port, workers=workers, log_level="warning")
        return
    uvicorn.run(app_, host=host, port=port, log_level="info")
