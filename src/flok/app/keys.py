"""Organizations and API keys: create (shown once), list, revoke; and the dashboard's key checks.

Keys are stored only as hashes (``flok.store.keys``); these use cases take the database handle
so the CLI (no running service) and the server share them.
"""

from __future__ import annotations

import os
import secrets

from flok.app.settings import Settings
from flok.app.state import State
from flok.errors import InputError, NotFoundError
from flok.store import keys as repo
from flok.store import sessions as session_repo
from flok.store.db import Database, describe_url, sqlite_path
from flok.store.rows import KeyOwner, KeyRow
from flok.store.secrets import shared_secret


def open_database(database_url: str | None = None) -> Database:
    """The configured database (a URL given here wins over FLOK_DATABASE_URL), migrated."""
    settings = Settings.load(database_url)
    db = Database(settings.database_url, **settings.pool_options())
    db.migrate()
    return db


def open_existing_database(database_url: str | None = None) -> Database:
    """Like ``open_database``, but the built-in default (``sqlite:///var/flok.db``, relative to the
    current folder) must already exist: run from another folder it would silently make a second,
    empty database whose keys the service never sees. A database named on purpose (argument or
    FLOK_DATABASE_URL) is opened, and created, as given."""
    settings = Settings.load(database_url)
    path = sqlite_path(settings.database_url)
    chosen = database_url is not None or "database_url" in settings.model_fields_set
    if path is not None and not chosen and not path.exists():
        raise InputError(
            f"no Flok database at {path} (the default, {settings.database_url}, is relative to the "
            "current folder). `flok serve` creates it where it runs (`make run`: the project's "
            "var/flok.db): run this command there, or name the database with --database-url or "
            "FLOK_DATABASE_URL"
        )
    return open_database(settings.database_url)


def database_label(database_url: str | None = None) -> str:
    """Which database a command uses (SQLite: the absolute path; no password shown)."""
    return describe_url(Settings.load(database_url).database_url)


def create_key(db: Database, org_name: str) -> str:
    """A new key of the organization (created when new); returned once, stored only as a hash."""
    name = org_name.strip()
    if not name or len(org_name) > 200:
        raise InputError("give a name of 1–200 characters", field="org")
    with db.write() as conn:
        return repo.create_key(conn, repo.ensure_org(conn, name))


def list_keys(db: Database, org_name: str | None = None) -> list[KeyRow]:
    """Every key's non-secret part (prefix, organization, created, revoked), oldest first."""
    with db.read() as conn:
        return repo.list_keys(conn, org_name)


def revoke_key(db: Database, prefix: str) -> str:
    """Revoke the key with this prefix (or the whole key); NotFoundError when there is none."""
    handle = prefix.strip()
    with db.write() as conn:
        found = repo.revoke(conn, handle)
    if not found:
        raise NotFoundError(f"no key with prefix '{prefix}' (see `flok keys list`)", field="prefix")
    return handle


def key_id_for(state: State, key: str) -> int | None:
    """Row id of a valid key; the service's own check (hash compare, cached) decides validity."""
    if state.org_for_key(key) is None:
        return None
    with state.db.read() as conn:
        return repo.key_id(conn, key)


def key_owner(state: State, key_id: int) -> KeyOwner | None:
    """The organization of a key row that still exists and is not revoked (re-read every request,
    so revoking a key signs its dashboard sessions out at once)."""
    with state.db.read() as conn:
        return repo.owner(conn, key_id)


def start_session(state: State, key_id: int, lifetime_seconds: int) -> str:
    """A dashboard session for a key just checked at sign-in; its id goes into the cookie."""
    with state.db.write() as conn:
        return session_repo.start(conn, key_id, lifetime_seconds)


def session_owner(state: State, session_id: str) -> KeyOwner | None:
    """The organization of a live session (re-read every request: sign-out elsewhere, expiry or
    revoking its key ends it at once)."""
    with state.db.read() as conn:
        return session_repo.owner(conn, session_id)


def end_session(state: State, session_id: str) -> None:
    """Sign-out: the server forgets the session, so copies of its cookie stop working too."""
    with state.db.write() as conn:
        session_repo.end(conn, session_id)


def session_secret(state: State) -> str:
    """FLOK_SESSION_SECRET, else a random secret kept next to the SQLite file (mode 0600), else
    (PostgreSQL) one kept in the database, so every server process and restart agrees on it.
    """
    env = os.environ.get("FLOK_SESSION_SECRET")
    if env:
        return env
    sqlite_file = state.db.sqlite_file
    if sqlite_file is not None:
        path = sqlite_file.with_name("session-secret")
        try:
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_urlsafe(48))
            return path.read_text().strip()
        except FileExistsError:
            return path.read_text().strip()
    with state.db.write() as conn:  # PostgreSQL: one secret for every process, kept in the database
        return shared_secret(conn, "session")
