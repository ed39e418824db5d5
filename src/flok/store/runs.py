"""Background runs: ``queued → running → done | failed | cancelled``, with progress and a cancel flag.

Claiming is a conditional UPDATE (``WHERE status = 'queued'``), so a run executes at most
once even if the queue delivers it twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from flok.store.errors import NotFound
from flok.store.rows import RunRow
from flok.store.tables import runs
from flok.store.types import utcnow

ACTIVE = ("queued", "running")


def create(
    conn: Connection, org_id: int, kind: str, options: dict[str, Any], campaign_id: int | None = None
) -> int:
    return int(
        conn.execute(
            runs.insert()
            .values(
                org_id=org_id,
                kind=kind,
                campaign_id=campaign_id,
                status="queued",
                progress=0.0,
                cancel_requested=False,
                options=options,
                created_at=utcnow(),
            )
            .returning(runs.c.id)
        ).scalar_one()
    )


def get(conn: Connection, org_id: int, run_id: int) -> RunRow:
    row = conn.execute(select(runs).where(runs.c.id == run_id, runs.c.org_id == org_id)).mappings().first()
    if row is None:
        raise NotFound("run", run_id)
    return RunRow.of(row)


def list_for(
    conn: Connection, org_id: int, *, campaign_id: int | None = None, kind: str | None = None, limit: int = 50
) -> list[RunRow]:
    """The organization's runs, newest first."""
    q = select(runs).where(runs.c.org_id == org_id)
    if campaign_id is not None:
        q = q.where(runs.c.campaign_id == campaign_id)
    if kind is not None:
        q = q.where(runs.c.kind == kind)
    return [RunRow.of(r) for r in conn.execute(q.order_by(runs.c.id.desc()).limit(limit)).mappings()]


def load(conn: Connection, run_id: int) -> RunRow | None:
    """Unscoped read for the executor, which acts on behalf of the run's own organization."""
    row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    return None if row is None else RunRow.of(row)


def latest(
    conn: Connection, org_id: int, *, campaign_id: int | None = None, kind: str | None = None
) -> RunRow | None:
    """The organization's newest run of a campaign (or of a kind), to show its progress or outcome."""
    found = list_for(conn, org_id, campaign_id=campaign_id, kind=kind, limit=1)
    return found[0] if found else None


def claim(conn: Connection, run_id: int, worker: str) -> bool:
    now = utcnow()
    result = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now, worker=worker, message="started")
    )
    return result.rowcount == 1


def report_progress(conn: Connection, run_id: int, fraction: float | None, message: str) -> bool:
    """Store progress; returns True when someone asked to cancel the run."""
    values: dict[str, Any] = {"message": message[:500], "heartbeat_at": utcnow()}
    if fraction is not None:
        values["progress"] = max(0.0, min(1.0, float(fraction)))
    conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
    flag = conn.execute(select(runs.c.cancel_requested).where(runs.c.id == run_id)).scalar()
    return bool(flag)


def finish(
    conn: Connection,
    run_id: int,
    status: str,
    *,
    report: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    message: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "report": report, "error": error}
    if status == "done":
        values["progress"] = 1.0
    if message is not None:
        values["message"] = message[:500]
    conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status.in_(ACTIVE)).values(**values))


def request_cancel(conn: Connection, org_id: int, run_id: int) -> RunRow:
    """Ask a run to stop; a queued run is cancelled at once, a running one at its next progress call."""
    row = get(conn, org_id, run_id)
    if row.status == "queued":
        finish(conn, run_id, "cancelled", message="cancelled before it started")
    elif row.status == "running":
        conn.execute(update(runs).where(runs.c.id == run_id).values(cancel_requested=True))
    return get(conn, org_id, run_id)


def heartbeat(conn: Connection, run_id: int) -> None:
    conn.execute(
        update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(heartbeat_at=utcnow())
    )


def fail_interrupted(
    conn: Connection, *, include_queued: bool = False, silent_for: timedelta | None = None
) -> list[int]:
    """Mark runs a dead process left behind as failed.

    In-process mode fails every running run at start (its thread died with the process); a
    worker fails only runs whose heartbeat has been silent for ``silent_for``, since other
    workers may be alive.
    """
    states = ACTIVE if include_queued else ("running",)
    q = select(runs.c.id).where(runs.c.status.in_(states))
    if silent_for is not None:
        q = q.where(runs.c.heartbeat_at < utcnow() - silent_for)
    ids = [int(r) for r in conn.execute(q).scalars()]
    if ids:
        conn.execute(
            update(runs)
            .where(runs.c.id.in_(ids))
            .values(
                status="failed",
                finished_at=utcnow(),
                message="interrupted: the service stopped during this run",
                error={
                    "code": "INTERRUPTED",
                    "message": "the service stopped during this run",
                    "field": None,
                },
            )
        )
    return ids


def has_active(conn: Connection, campaign_id: int) -> bool:
    q = select(runs.c.id).where(runs.c.campaign_id == campaign_id, runs.c.status.in_(ACTIVE)).limit(1)
    return conn.execute(q).first() is not None


def queued_ids(conn: Connection) -> list[int]:
    """Every queued run (of any organization), for an in-process queue to submit again at start."""
    return [int(i) for i in conn.execute(select(runs.c.id).where(runs.c.status == "queued")).scalars()]


def count_by_status(conn: Connection, org_id: int) -> dict[str, int]:
    """The organization's runs per status."""
    q = select(runs.c.status, func.count()).where(runs.c.org_id == org_id).group_by(runs.c.status)
    return {str(s): int(n) for s, n in conn.execute(q)}
