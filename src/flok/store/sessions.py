"""Server-side dashboard sessions: one row per sign-in, named by the SHA-256 of its random id.

The cookie carries the id (signed); a row that is gone (signed out, expired, its key deleted)
or whose key is revoked no longer opens anything. Only the hash is stored, so reading the
table does not give anyone a usable session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection, delete, select

from flok.store.rows import KeyOwner
from flok.store.tables import api_keys, organizations, web_sessions
from flok.store.types import utcnow


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start(conn: Connection, key_id: int, lifetime_seconds: int) -> str:
    """A new session of ``key_id``; returns its id (for the cookie). Expired rows are swept here."""
    now = utcnow()
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
    session_id = secrets.token_urlsafe(32)
    conn.execute(
        web_sessions.insert().values(
            id_hash=_hash(session_id),
            key_id=key_id,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
        )
    )
    return session_id


def owner(conn: Connection, session_id: str) -> KeyOwner | None:
    """The organization of a live session whose key is not revoked, else None."""
    row = conn.execute(
        select(api_keys.c.id, api_keys.c.org_id, organizations.c.name)
        .join(api_keys, api_keys.c.id == web_sessions.c.key_id)
        .join(organizations, organizations.c.id == api_keys.c.org_id)
        .where(
            web_sessions.c.id_hash == _hash(session_id),
            web_sessions.c.expires_at > utcnow(),
            api_keys.c.revoked.is_(False),
        )
    ).first()
    if row is None:
        return None
    return KeyOwner(key_id=int(row.id), org_id=int(row.org_id), org_name=str(row.name))


def end(conn: Connection, session_id: str) -> None:
    """Sign-out: the row goes, so every copy of the cookie stops working."""
    conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == _hash(session_id)))
