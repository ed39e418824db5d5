"""Organizations and their API keys; a key is shown once and stored only as a SHA-256 hash.

A key looks like ``flok_<prefix>_<secret>``: the prefix is a non-secret lookup handle, the
secret carries 256 bits of randomness, so a plain (unsalted) SHA-256 is safe to store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Connection, select, update

from flok.store.rows import KeyOwner, KeyRow
from flok.store.tables import api_keys, organizations
from flok.store.types import utcnow


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def ensure_org(conn: Connection, name: str) -> int:
    """The id of the organization called ``name``, created when missing."""
    found = conn.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            organizations.insert().values(name=name, created_at=utcnow()).returning(organizations.c.id)
        ).scalar_one()
    )


def create_key(conn: Connection, org_id: int) -> str:
    """A new API key for ``org_id``; the caller must show it now, it cannot be read back."""
    prefix = secrets.token_hex(6)
    key = f"flok_{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        api_keys.insert().values(
            org_id=org_id, prefix=prefix, key_hash=hash_key(key), created_at=utcnow(), revoked=False
        )
    )
    return key


def org_for_key(conn: Connection, key: str) -> int | None:
    """The organization a key belongs to, or None for a malformed, unknown or revoked key."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "flok":
        return None
    row = conn.execute(
        select(api_keys.c.org_id, api_keys.c.key_hash, api_keys.c.revoked).where(
            api_keys.c.prefix == parts[1]
        )
    ).first()
    if row is None or row.revoked or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    return int(row.org_id)


def has_keys(conn: Connection, org_id: int) -> bool:
    return conn.execute(select(api_keys.c.id).where(api_keys.c.org_id == org_id).limit(1)).first() is not None


def list_keys(conn: Connection, org_name: str | None = None) -> list[KeyRow]:
    """Every key's non-secret part: prefix, organization, creation time, revoked (oldest first)."""
    q = (
        select(
            api_keys.c.prefix,
            organizations.c.name.label("organization"),
            api_keys.c.created_at,
            api_keys.c.revoked,
        )
        .join(organizations, organizations.c.id == api_keys.c.org_id)
        .order_by(api_keys.c.id)
    )
    if org_name is not None:
        q = q.where(organizations.c.name == org_name)
    return [KeyRow.of(r) for r in conn.execute(q).mappings()]


def revoke(conn: Connection, prefix: str) -> bool:
    """Revoke the key with this prefix (a whole key is accepted too); False when there is none."""
    parts = prefix.split("_")
    handle = parts[1] if len(parts) >= 3 and parts[0] == "flok" else prefix
    done = conn.execute(update(api_keys).where(api_keys.c.prefix == handle).values(revoked=True))
    return bool(done.rowcount)


def key_id(conn: Connection, key: str) -> int | None:
    """Row id of the key's prefix (validity is ``org_for_key``'s job)."""
    parts = key.split("_")
    if len(parts) < 3:
        return None
    found = conn.execute(select(api_keys.c.id).where(api_keys.c.prefix == parts[1])).scalar()
    return None if found is None else int(found)


def owner(conn: Connection, key_id: int) -> KeyOwner | None:
    """The organization of a key row that still exists and is not revoked."""
    row = conn.execute(
        select(api_keys.c.org_id, api_keys.c.revoked, organizations.c.name)
        .join(organizations, organizations.c.id == api_keys.c.org_id)
        .where(api_keys.c.id == key_id)
    ).first()
    if row is None or row.revoked:
        return None
    return KeyOwner(key_id=key_id, org_id=int(row.org_id), org_name=str(row.name))
