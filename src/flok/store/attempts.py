"""RSVP attempts and their outcomes, recorded as they happen (the oversubscription rate's data)."""

from __future__ import annotations

from sqlalchemy import Connection, case, func, select

from flok.store.tables import rsvp_attempts
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
