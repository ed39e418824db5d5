"""Periodic rebalance: each organization's schedule, and the tick that queues the due ones.

A rebalance "can be periodic" (the design): an organization turns its schedule on with an
interval here, and every process that executes runs ticks (``flok.app.worker.ticker``: a
thread next to the in-process queue, a periodic task in each ``flok worker``), queuing the due
rebalances through the same queue as ``POST /rebalance``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flok.app.state import State
from flok.errors import InputError
from flok.store import runs as runs_repo
from flok.store import schedules
from flok.store.types import utcnow

log = logging.getLogger("flok.runs")

MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 30 * 24 * 60  # 30 days


@dataclass(frozen=True)
class LastRun:
    """The schedule's latest rebalance as the API and the dashboard show it."""

    run_id: int
    status: str
    created_at: datetime
    finished_at: datetime | None
    suggested: int | None  # seats the run suggested (None until it is done)
    matched_share: float | None  # participants with a seat or a suggestion, after the run
    message: str | None


@dataclass(frozen=True)
class ScheduleView:
    enabled: bool
    interval_minutes: int
    next_due_at: datetime | None
    last_run: LastRun | None


def check_interval(value: Any) -> int:
    """An interval in whole minutes within bounds (the dashboard's form sends text)."""
    try:
        minutes = int(str(value).strip())
    except ValueError:
        raise InputError(
            f"interval must be a whole number of minutes, got '{value}'", field="interval_minutes"
        ) from None
    if not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise InputError(
            f"interval must be between {MIN_INTERVAL_MINUTES} and {MAX_INTERVAL_MINUTES} minutes, "
            f"got {minutes}",
            field="interval_minutes",
        )
    return minutes


def get_schedule(state: State, org: int) -> ScheduleView:
    """The organization's schedule (off, with the default interval, until it is set)."""
    with state.db.read() as conn:
        row = schedules.get(conn, org)
        run = None
        if row is not None and row.last_run_id is not None:
            found = runs_repo.load(conn, row.last_run_id)
            run = found if found is not None and found.org_id == org else None
    if row is None:
        return ScheduleView(False, state.settings.rebalance_interval_minutes, None, None)
    last = None
    if run is not None:
        report = run.report or {}
        last = LastRun(
            run_id=run.id,
            status=run.status,
            created_at=run.created_at,
            finished_at=run.finished_at,
            suggested=report.get("recommended"),
            matched_share=report.get("matched_share"),
            message=run.message,
        )
    return ScheduleView(row.enabled, row.interval_minutes, row.next_due_at, last)


def set_schedule(
    state: State, org: int, *, enabled: bool, interval_minutes: Any = None, now: datetime | None = None
) -> ScheduleView:
    """Turn the schedule on or off and set its interval (default: ``FLOK_REBALANCE_INTERVAL_MINUTES``)."""
    minutes = check_interval(
        state.settings.rebalance_interval_minutes if interval_minutes in (None, "") else interval_minutes
    )
    with state.db.write() as conn:
        schedules.put(conn, org, enabled=enabled, interval_minutes=minutes, now=now or utcnow())
    return get_schedule(state, org)
