"""Periodic rebalance schedules, one per organization, and the compare-and-set that claims a due one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from flok.store.tables import rebalance_schedules as schedules
from flok.store.types import utcnow


@dataclass(frozen=True)
class ScheduleRow:
    org_id: int
    enabled: bool
    interval_minutes: int
    next_due_at: datetime | None
    last_run_id: int | None
    updated_at: datetime


def get(conn: Connection, org_id: int) -> ScheduleRow | None:
    row = conn.execute(select(schedules).where(schedules.c.org_id == org_id)).mappings().first()
    return None if row is None else ScheduleRow(**dict(row))


def put(conn: Connection, org_id: int, *, enabled: bool, interval_minutes: int, now: datetime) -> ScheduleRow:
    """Set the organization's schedule.

    Turning it on makes the first rebalance due at once (the next tick queues it); a new
    interval on a schedule that is on brings the next one forward if it is now due sooner;
    turning it off clears the due time, so no worker queues anything for it.
    """
    old = get(conn, org_id)
    interval = timedelta(minutes=interval_minutes)
    if not enabled:
        due = None
    elif old is None or not old.enabled or old.next_due_at is None:
        due = now
    else:
        due = min(old.next_due_at, now + interval)
    values = {
        "enabled": enabled,
        "interval_minutes": interval_minutes,
        "next_due_at": due,
        "updated_at": utcnow(),
    }
    if old is None:
        conn.execute(schedules.insert().values(org_id=org_id, last_run_id=None, **values))
    else:
        conn.execute(update(schedules).where(schedules.c.org_id == org_id).values(**values))
    found = get(conn, org_id)
    assert found is not None
    return found


def due(conn: Connection, now: datetime, *, limit: int = 100) -> list[ScheduleRow]:
    """Schedules that are on and due at ``now``, longest overdue first."""
    q = (
        select(schedules)
        .where(schedules.c.enabled.is_(True), schedules.c.next_due_at <= now)
        .order_by(schedules.c.next_due_at)
        .limit(limit)
    )
    return [ScheduleRow(**dict(r)) for r in conn.execute(q).mappings()]


def claim(conn: Connection, seen: ScheduleRow, next_due_at: datetime) -> bool:
    """Move a due schedule on to ``next_due_at`` if nobody else did since it was read as ``seen``.

    The update names the due time that was read: of several workers that found the schedule
    due, the first to commit moves it and the others' updates then match no row (PostgreSQL
    re-checks the condition after waiting on the first's row lock; SQLite writes one at a time).
    """
    hit = conn.execute(
        update(schedules)
        .where(
            schedules.c.org_id == seen.org_id,
            schedules.c.enabled.is_(True),
            schedules.c.next_due_at == seen.next_due_at,
        )
        .values(next_due_at=next_due_at)
    )
    return hit.rowcount == 1


def set_last_run(conn: Connection, org_id: int, run_id: int) -> None:
    conn.execute(update(schedules).where(schedules.c.org_id == org_id).values(last_run_id=run_id))
