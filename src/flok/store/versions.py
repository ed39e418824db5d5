"""Versions of a campaign's allocation and the changes recorded after it (migration 0010).

A version is a snapshot (seats with their manual flag, and every opportunity's capacity), so two
versions diff without replaying anything and a rollback restores one exactly. Drafts are versions
without a number; committing gives them the next one. Callers check the campaign's organization
first (``flok.store.campaigns.get``): every function here takes a campaign that is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, delete, func, select, update

from flok.store import bulk
from flok.store.errors import NotFound
from flok.store.tables import (
    allocation_versions,
    assignments,
    campaign_changes,
    campaign_opportunities,
    preferences,
)
from flok.store.types import utcnow

Seat = tuple[str, str, bool]  # participant_id, opportunity_id, manual


@dataclass(frozen=True)
class VersionRow:
    id: int
    campaign_id: int
    number: int | None
    state: str
    kind: str
    run_id: int | None
    base_number: int | None
    base_revision: int | None
    seats: list[Seat]
    capacities: dict[str, int]
    label: dict[str, Any]
    actor: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class ChangeRow:
    id: int
    campaign_id: int
    kind: str
    detail: dict[str, Any]
    version: int | None
    actor: str
    reason: str
    created_at: datetime


def _version(m: Any) -> VersionRow:
    return VersionRow(
        id=int(m["id"]),
        campaign_id=int(m["campaign_id"]),
        number=m["number"],
        state=str(m["state"]),
        kind=str(m["kind"]),
        run_id=m["run_id"],
        base_number=m["base_number"],
        base_revision=m["base_revision"],
        seats=[(str(p), str(o), bool(x)) for p, o, x in m["seats"]],
        capacities={str(k): int(v) for k, v in m["capacities"].items()},
        label=dict(m["label"]),
        actor=str(m["actor"]),
        reason=str(m["reason"]),
        created_at=m["created_at"],
    )


def current_seats(conn: Connection, campaign_id: int) -> list[Seat]:
    """The allocation as it stands, by participant then opportunity."""
    a = assignments.c
    q = (
        select(a.participant_id, a.opportunity_id, a.manual)
        .where(a.campaign_id == campaign_id)
        .order_by(a.participant_id, a.opportunity_id)
    )
    return [(str(p), str(o), bool(m)) for p, o, m in conn.execute(q)]


def current_capacities(conn: Connection, campaign_id: int) -> dict[str, int]:
    o = campaign_opportunities.c
    q = select(o.opportunity_id, o.capacity).where(o.campaign_id == campaign_id).order_by(o.opportunity_id)
    return {str(i): int(c) for i, c in conn.execute(q)}


def current_number(conn: Connection, campaign_id: int) -> int:
    """The newest committed version's number (0 before the first)."""
    v = allocation_versions.c
    q = select(func.max(v.number)).where(v.campaign_id == campaign_id, v.state == "committed")
    return int(conn.execute(q).scalar() or 0)


def insert(
    conn: Connection,
    campaign_id: int,
    *,
    state: str,
    kind: str,
    seats: list[Seat],
    capacities: dict[str, int],
    label: dict[str, Any],
    actor: str,
    reason: str,
    run_id: int | None = None,
    base_number: int | None = None,
    base_revision: int | None = None,
) -> VersionRow:
    """A committed version takes the next number (the caller holds the campaign's row lock)."""
    number = current_number(conn, campaign_id) + 1 if state == "committed" else None
    vid = conn.execute(
        allocation_versions.insert()
        .values(
            campaign_id=campaign_id,
            number=number,
            state=state,
            kind=kind,
            run_id=run_id,
            base_number=base_number,
            base_revision=base_revision,
            seats=[list(s) for s in seats],
            capacities=capacities,
            label=label,
            actor=actor[:200],
            reason=reason,
            created_at=utcnow(),
        )
        .returning(allocation_versions.c.id)
    ).scalar_one()
    return get_by_id(conn, campaign_id, int(vid))


def get_by_id(conn: Connection, campaign_id: int, version_id: int) -> VersionRow:
    v = allocation_versions.c
    found = conn.execute(
        select(allocation_versions).where(v.id == version_id, v.campaign_id == campaign_id)
    ).mappings()
    row = found.first()
    if row is None:
        raise NotFound("version", version_id)
    return _version(row)


def get_number(conn: Connection, campaign_id: int, number: int) -> VersionRow:
    v = allocation_versions.c
    q = select(allocation_versions).where(
        v.campaign_id == campaign_id, v.number == number, v.state == "committed"
    )
    row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFound("version", number, field="version")
    return _version(row)


def latest(conn: Connection, campaign_id: int) -> VersionRow | None:
    number = current_number(conn, campaign_id)
    return get_number(conn, campaign_id, number) if number else None


def draft_of_run(conn: Connection, campaign_id: int, run_id: int) -> VersionRow:
    """The draft (or the version it became) a run produced; NotFound for another campaign's run."""
    v = allocation_versions.c
    q = select(allocation_versions).where(v.campaign_id == campaign_id, v.run_id == run_id)
    row = conn.execute(q.order_by(v.id.desc())).mappings().first()
    if row is None:
        raise NotFound("draft of run", run_id, field="run_id")
    return _version(row)


def list_committed(conn: Connection, campaign_id: int) -> list[VersionRow]:
    """Committed versions, newest first."""
    v = allocation_versions.c
    q = select(allocation_versions).where(v.campaign_id == campaign_id, v.state == "committed")
    return [_version(m) for m in conn.execute(q.order_by(v.number.desc())).mappings()]


def list_drafts(conn: Connection, campaign_id: int) -> list[VersionRow]:
    v = allocation_versions.c
    q = select(allocation_versions).where(v.campaign_id == campaign_id, v.state == "draft")
    return [_version(m) for m in conn.execute(q.order_by(v.id.desc())).mappings()]


def set_state(
    conn: Connection, version_id: int, state: str, *, number: int | None = None, **values: Any
) -> None:
    vals: dict[str, Any] = {"state": state, **values}
    if number is not None:
        vals["number"] = number
    conn.execute(update(allocation_versions).where(allocation_versions.c.id == version_id).values(**vals))


def replace_seats(conn: Connection, campaign_id: int, seats: list[Seat]) -> None:
    """The campaign's allocation becomes exactly ``seats``."""
    conn.execute(delete(assignments).where(assignments.c.campaign_id == campaign_id))
    bulk.insert(
        conn,
        assignments,
        {
            "campaign_id": bulk.const(campaign_id),
            "participant_id": bulk.of(pa.array([s[0] for s in seats], pa.string())),
            "opportunity_id": bulk.of(pa.array([s[1] for s in seats], pa.string())),
            "manual": bulk.of(pa.array([s[2] for s in seats], pa.bool_())),
        },
        len(seats),
    )


def drop_seats(conn: Connection, campaign_id: int, participant_ids: list[str]) -> None:
    """Free the seats of these participants (they withdrew)."""
    a = assignments.c
    for start in range(0, len(participant_ids), 1000):
        chunk = participant_ids[start : start + 1000]
        conn.execute(delete(assignments).where(a.campaign_id == campaign_id, a.participant_id.in_(chunk)))


def holders(conn: Connection, campaign_id: int, opportunity_id: str) -> int:
    """How many seats of the opportunity are held."""
    a = assignments.c
    q = select(func.count()).where(a.campaign_id == campaign_id, a.opportunity_id == opportunity_id)
    return int(conn.execute(q).scalar_one())


def set_capacities(conn: Connection, campaign_id: int, capacities: dict[str, int]) -> None:
    """Capacities as in a version (opportunities added since keep theirs)."""
    o = campaign_opportunities.c
    now = current_capacities(conn, campaign_id)
    for oid, cap in capacities.items():
        if oid in now and now[oid] != cap:
            conn.execute(
                update(campaign_opportunities)
                .where(o.campaign_id == campaign_id, o.opportunity_id == oid)
                .values(capacity=cap)
            )


def record_change(
    conn: Connection,
    campaign_id: int,
    kind: str,
    detail: dict[str, Any],
    *,
    actor: str,
    reason: str,
    version: int | None = None,
) -> ChangeRow:
    cid = conn.execute(
        campaign_changes.insert()
        .values(
            campaign_id=campaign_id,
            kind=kind,
            detail=detail,
            version=version,
            actor=actor[:200],
            reason=reason,
            created_at=utcnow(),
        )
        .returning(campaign_changes.c.id)
    ).scalar_one()
    row = conn.execute(select(campaign_changes).where(campaign_changes.c.id == cid)).mappings().one()
    return _change(row)


def _change(m: Any) -> ChangeRow:
    return ChangeRow(
        id=int(m["id"]),
        campaign_id=int(m["campaign_id"]),
        kind=str(m["kind"]),
        detail=dict(m["detail"]),
        version=m["version"],
        actor=str(m["actor"]),
        reason=str(m["reason"]),
        created_at=m["created_at"],
    )


def list_changes(conn: Connection, campaign_id: int, *, limit: int = 200) -> list[ChangeRow]:
    """Newest first."""
    c = campaign_changes.c
    q = select(campaign_changes).where(c.campaign_id == campaign_id).order_by(c.id.desc()).limit(limit)
    return [_change(m) for m in conn.execute(q).mappings()]


def last_change(conn: Connection, campaign_id: int) -> ChangeRow | None:
    found = list_changes(conn, campaign_id, limit=1)
    return found[0] if found else None


def objective(conn: Connection, campaign_id: int, mode: str) -> tuple[float, int, int]:
    """The allocation as it stands: (total rank or score of its listed seats, unlisted seats,
    seats), recomputed from the seats, so a hand-edited allocation is never shown a stale number."""
    a, r = assignments.c, preferences.c
    value = r.rank if mode == "rank" else r.score
    q = (
        select(func.coalesce(func.sum(value), 0), func.count() - func.count(value), func.count())
        .select_from(
            assignments.outerjoin(
                preferences,
                (r.campaign_id == a.campaign_id)
                & (r.participant_id == a.participant_id)
                & (r.opportunity_id == a.opportunity_id),
            )
        )
        .where(a.campaign_id == campaign_id)
    )
    total, unlisted, seats = conn.execute(q).one()
    return float(total), int(unlisted), int(seats)


def values(conn: Connection, campaign_id: int, mode: str) -> dict[tuple[str, str], float]:
    """Every registered pair's rank (or score), for diffs."""
    r = preferences.c
    value = r.rank if mode == "rank" else r.score
    q = select(r.participant_id, r.opportunity_id, value).where(
        r.campaign_id == campaign_id, value.is_not(None)
    )
    return {(str(p), str(o)): float(v) for p, o, v in conn.execute(q)}


def registered(conn: Connection, campaign_id: int) -> set[str]:
    r = preferences.c
    q = select(r.participant_id).where(r.campaign_id == campaign_id).distinct()
    return {str(p) for p in conn.execute(q).scalars()}
