"""Secrets shared by every server process on one database, created on first use."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from flok.store.tables import service_secrets
from flok.store.types import utcnow


def shared_secret(conn: Connection, name: str) -> str:
    """The secret called ``name``; the first caller creates it, concurrent callers agree on it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(service_secrets)
        .values(name=name, value=secrets.token_urlsafe(48), created_at=utcnow())
        .on_conflict_do_nothing()
    )
    return str(
        conn.execute(select(service_secrets.c.value).where(service_secrets.c.name == name)).scalar_one()
    )
