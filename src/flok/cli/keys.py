"""``flok keys create``: a new API key for an organization (created when missing)."""

from __future__ import annotations

from typing import Annotated

import typer

from flok.cli.app import app, guarded

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
@guarded
def create_cmd(
    org: Annotated[str, typer.Option("--org", help="Organization name (created if new).")],
    database_url: Annotated[str | None, typer.Option(help="Overrides FLOK_DATABASE_URL.")] = None,
) -> None:
    """Print a new key; it is stored only as a hash, so save it now."""
    from flok.service.settings import Settings
    from flok.store import keys
    from flok.store.db import Database

    if not org.strip() or len(org) > 200:
        raise typer.BadParameter("give a name of 1–200 characters", param_hint="--org")
    settings = Settings.load(database_url)
    db = Database(settings.database_url)
    db.migrate()
    with db.write() as conn:
        key = keys.create_key(conn, keys.ensure_org(conn, org.strip()))
    db.dispose()
    typer.echo(key)
