"""Background runs: ``queued → running → done | failed | cancelled``, with progress and a cancel flag.

Claiming is a conditional UPDATE (``WHERE status = 'queued'``), so a run executes at most
once even if the queue delivers it twice. Completing is one too (``complete``: ``WHERE status =
'running' AND worker = <claimant>``): a run that the sweep failed while its worker was paused
cannot store its result when that worker resumes. Since a run enters ``running`` only once
(from ``queued``), the status and the claimant together are its fencing token.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import Connection, func, select, text, update

from flok.store.errors import NotFound
from flok.store.rows import RunRow, WaitingRun
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


Verdict = Literal["continue", "cancel", "lost"]


def report_progress(conn: Connection, run_id: int, fraction: float | None, message: str) -> Verdict:
    """Store progress while the run is ``running``; what its worker should do next: go on,
    stop because a cancel was asked, or stop because the run is no longer its own (the sweep
    failed it while the worker was paused, or it was deleted)."""
    values: dict[str, Any] = {"message": message[:500], "heartbeat_at": utcnow()}
    if fraction is not None:
        values["progress"] = max(0.0, min(1.0, float(fraction)))
    conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(**values))
    row = conn.execute(select(runs.c.status, runs.c.cancel_requested).where(runs.c.id == run_id)).first()
    if row is None or row.status != "running":
        return "lost"
    return "cancel" if row.cancel_requested else "continue"


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


def complete(
    conn: Connection, run_id: int, worker: str | None, *, report: dict[str, Any], message: str
) -> bool:
    """Mark the run ``done`` only if ``worker`` still owns it (running, claimed by it, no cancel
    asked); False when it does not, and the caller must then store nothing.

    Call it first in the transaction that stores the result: on PostgreSQL the UPDATE locks the
    run's row, so a concurrent sweep waits and then finds the run no longer ``running``.
    """
    result = conn.execute(
        update(runs)
        .where(
            runs.c.id == run_id,
            runs.c.status == "running",
            runs.c.worker == worker,
            runs.c.cancel_requested.is_(False),
        )
        .values(
            status="done",
            finished_at=utcnow(),
            report=report,
            error=None,
            progress=1.0,
            message=message[:500],
        )
    )
    return result.rowcount == 1


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
    where: list[Any] = [runs.c.status.in_(states)]
    if silent_for is not None:
        where.append(runs.c.heartbeat_at < utcnow() - silent_for)
    # One conditional UPDATE (not select-then-update): a run completed meanwhile is left alone.
    return _fail_where(conn, where, "the service stopped during this run")


def fail_queued_without_job(conn: Connection, *, older_than: timedelta) -> list[int]:
    """Fail queued runs (older than ``older_than``) that no PostgreSQL queue job will ever
    execute: the job is gone, or failed for good (for example on a lost database connection),
    so without this the campaign would refuse every new allocation with RUN_ACTIVE.

    PostgreSQL only (the queue's tables live there); SQLite's in-process queue submits its
    queued runs again at every start instead."""
    if conn.dialect.name != "postgresql":
        return []
    # Still coming: a job waiting (or retrying later), or fetched by a worker that is alive.
    no_pending_job = text(
        "NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = 'flok.run' "
        "AND (j.args->>'run_id')::int = runs.id AND (j.status = 'todo' OR (j.status = 'doing' "
        "AND EXISTS (SELECT 1 FROM procrastinate_workers w WHERE w.id = j.worker_id "
        "AND w.last_heartbeat > now() - make_interval(secs => :silent)))))"
    ).bindparams(silent=older_than.total_seconds())
    where = [runs.c.status == "queued", runs.c.created_at < utcnow() - older_than, no_pending_job]
    return _fail_where(conn, where, "the queue lost this run's job (a worker or database failure)")


def _fail_where(conn: Connection, where: list[Any], reason: str) -> list[int]:
    result = conn.execute(
        update(runs)
        .where(*where)
        .values(
            status="failed",
            finished_at=utcnow(),
            message=f"interrupted: {reason}",
            error={"code": "INTERRUPTED", "message": reason, "field": None},
        )
        .returning(runs.c.id)
    )
    return sorted(int(r) for r in result.scalars())


def has_active(conn: Connection, campaign_id: int) -> bool:
    q = select(runs.c.id).where(runs.c.campaign_id == campaign_id, runs.c.status.in_(ACTIVE)).limit(1)
    return conn.execute(q).first() is not None


def queued_ids(conn: Connection, *, older_than: timedelta | None = None) -> list[int]:
    """Queued runs (of any organization; only those created over ``older_than`` ago), for an
    in-process queue to submit again: claiming is conditional, so a run another process
    submitted too still executes once."""
    q = select(runs.c.id).where(runs.c.status == "queued")
    if older_than is not None:
        q = q.where(runs.c.created_at < utcnow() - older_than)
    return [int(i) for i in conn.execute(q.order_by(runs.c.id)).scalars()]


def count_by_status(conn: Connection, org_id: int) -> dict[str, int]:
    """The organization's runs per status."""
    q = select(runs.c.status, func.count()).where(runs.c.org_id == org_id).group_by(runs.c.status)
    return {str(s): int(n) for s, n in conn.execute(q)}


CLAIMS_LOCK = 7318204  # advisory lock (PostgreSQL) that serialises fair-share claims


def lock_claims(conn: Connection) -> None:
    """Serialise fair-share claims for the rest of the transaction: two workers deciding at
    once would both see the same running counts and could both start a run of one organization
    beyond its share. SQLite's write transactions are serialised already."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(CLAIMS_LOCK)))


def waiting(conn: Connection, candidates: Collection[int] | None = None) -> list[WaitingRun]:
    """Queued runs (only ``candidates`` when given), each with its organization's number of
    ``running`` runs, oldest first."""
    q = select(runs.c.id, runs.c.org_id, runs.c.created_at).where(runs.c.status == "queued")
    if candidates is not None:
        if not candidates:
            return []
        q = q.where(runs.c.id.in_(list(candidates)))
    rows = conn.execute(q.order_by(runs.c.created_at, runs.c.id)).all()
    if not rows:
        return []
    orgs = {int(r.org_id) for r in rows}
    counts = conn.execute(
        select(runs.c.org_id, func.count())
        .where(runs.c.status == "running", runs.c.org_id.in_(orgs))
        .group_by(runs.c.org_id)
    )
    running = {int(org): int(n) for org, n in counts}
    return [
        WaitingRun(
            id=int(r.id), org_id=int(r.org_id), created_at=r.created_at, org_running=running.get(r.org_id, 0)
        )
        for r in rows
    ]


def live_workers(conn: Connection, *, silent_for: timedelta) -> int:
    """``flok worker`` processes whose queue heartbeat is younger than ``silent_for``
    (PostgreSQL; each executes one run at a time, so this is the number of run slots)."""
    if conn.dialect.name != "postgresql":
        return 0
    q = text(
        "SELECT count(*) FROM procrastinate_workers "
        "WHERE last_heartbeat > now() - make_interval(secs => :silent)"
    ).bindparams(silent=silent_for.total_seconds())
    return int(conn.execute(q).scalar_one())
