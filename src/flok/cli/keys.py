"""``flok keys create | list | revoke``: API keys of organizations (stored hashed, shown once).

They work on the database ``flok serve`` uses (same URL resolution: ``--database-url``, then
FLOK_DATABASE_URL, then ``sqlite:///var/flok.db`` in the current folder), say on stderr which
one, and refuse a SQLite file that does not exist rather than create a second, empty one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded, info

if TYPE_CHECKING:
    from flok.store.db import Database

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _open(database_url: str | None) -> Database:
    """The service's database (never a new SQLite file), named on stderr so nobody guesses."""
    from flok.app import keys

    db = keys.open_existing_database(database_url)
    info(f"database: {keys.database_label(database_url)}", to_stderr=True)
    return db


@keys_app.command("create", cls=OneLineUsage)
@guarded
def create_cmd(
    org: Annotated[str, typer.Option("--org", help="Organization name (created if new).")],
    database_url: Annotated[str | None, typer.Option(help="Overrides FLOK_DATABASE_URL.")] = None,
) -> None:
    """Print a new key; it is stored only as a hash, so save it now."""
    from flok.app import keys

    if not org.strip() or len(org) > 200:
        raise typer.BadParameter("give a name of 1–200 characters", param_hint="--org")
    db = _open(database_url)
    try:
        key = keys.create_key(db, org)
    finally:
        db.dispose()
    typer.echo(key)


@keys_app.command("list", cls=OneLineUsage)
@guarded
def list_cmd(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization's keys.")] = None,
    database_url: Annotated[str | None, typer.Option(help="Overrides FLOK_DATABASE_URL.")] = None,
) -> None:
    """List keys by prefix (the secret part is never stored, so it cannot be shown)."""
    from flok.app import keys

    db = _open(database_url)
    try:
        rows = keys.list_keys(db, org)
    finally:
        db.dispose()
    typer.echo(f"{'prefix':<14}{'organization':<24}{'created (UTC)':<22}status")
    for r in rows:
        created = r.created_at.strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(f"{r.prefix:<14}{r.organization:<24}{created:<22}{'revoked' if r.revoked else 'active'}")


@keys_app.command("revoke", cls=OneLineUsage)
@guarded
def revoke_cmd(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (from `flok keys list`) or the whole key.")],
    database_url: Annotated[str | None, typer.Option(help="Overrides FLOK_DATABASE_URL.")] = None,
) -> None:
    """Revoke a key. Running servers stop accepting it within FLOK_KEY_CACHE_SECONDS (30 s)."""
    from flok.app import keys
    from flok.errors import NotFoundError

    db = _open(database_url)
    try:
        handle = keys.revoke_key(db, prefix)
    except NotFoundError as exc:
        raise typer.BadParameter(exc.message, param_hint="PREFIX") from None
    finally:
        db.dispose()
    typer.echo(f"revoked {handle}")
