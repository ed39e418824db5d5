"""RSVP attempts and their outcomes, recorded as they happen (the oversubscription rate's data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, case, func, select

from flok.store.tables import participants, rsvp_attempts
from flok.store.types import utcnow


def record(conn: Connection, org_id: int, opportunity_id: str, participant_id: str, *, refused: bool) -> None:
    """One attempt: a seat taken (``refused`` False) or refused because none was left."""
    conn.execute(
        rsvp_attempts.insert().values(
            org_id=org_id,
            opportunity_id=opportunity_id,
            participant_id=participant_id,
            refused=refused,
            created_at=utcnow(),
        )
    )


def counts(conn: Connection, org_id: int) -> tuple[int, int]:
    """(attempts, refused) of the organization."""
    refused = func.coalesce(func.sum(case((rsvp_attempts.c.refused, 1), else_=0)), 0)
    q = select(func.count(), refused).where(rsvp_attempts.c.org_id == org_id)
    total, n_refused = conn.execute(q).one()
    return int(total), int(n_refused)


def first_seats(conn: Connection, org_id: int) -> dict[str, datetime]:
    """participant id → when they first got a seat (their first attempt not refused), counting
    only attempts since they joined: a participant deleted and created again starts afresh."""
    a, p = rsvp_attempts, participants
    q = (
        select(a.c.participant_id, func.min(a.c.created_at))
        .select_from(a.join(p, and_(p.c.org_id == a.c.org_id, p.c.participant_id == a.c.participant_id)))
        .where(a.c.org_id == org_id, a.c.refused.is_(False), a.c.created_at >= p.c.created_at)
        .group_by(a.c.participant_id)
    )
    return {str(pid): first for pid, first in conn.execute(q)}
