"""The PostgreSQL queue: runs are procrastinate jobs, executed by any number of ``flok worker`` processes.

procrastinate fetches jobs with ``FOR UPDATE SKIP LOCKED`` and wakes workers by LISTEN/NOTIFY;
on top of that, ``execute_run`` claims the run row conditionally, so a run executes exactly
once even if a job were delivered twice.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

import procrastinate

from flok.app.worker.execute import HEARTBEAT_SECONDS, execute_run
from flok.store import runs as runs_repo
from flok.store.db import Database, install_schema_once

TASK = "flok.run"
SWEEP_TASK = "flok.sweep"
QUEUE = "flok_runs"

log = logging.getLogger("flok.runs")
_worker_db: Database | None = None  # the worker process's database, set by ``run_worker``
_worker_delay = 0.0
_worker_stale_after = 8 * HEARTBEAT_SECONDS


def build_app(db: Database, *, worker: bool, sweep_seconds: int = 30) -> procrastinate.App:
    """The procrastinate app: the run task, and a periodic sweep of runs whose worker died.

    The sweep runs on whichever worker is free (at most one queued at a time), so a killed
    worker's run turns ``failed`` within ``stale_after + sweep_seconds`` without a restart.
    """
    connector: procrastinate.BaseConnector
    if worker:
        connector = procrastinate.PsycopgConnector(conninfo=db.conninfo)
    else:
        connector = procrastinate.SyncPsycopgConnector(conninfo=db.conninfo)
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK, queue=QUEUE)
    def run_task(run_id: int) -> None:
        if _worker_db is None:  # pragma: no cover - only a misconfigured process gets here
            raise RuntimeError("flok.run executed outside `flok worker`")
        execute_run(_worker_db, run_id, worker=f"{socket.gethostname()}:{os.getpid()}", delay=_worker_delay)

    every = max(1, min(59, int(sweep_seconds)))

    @app.periodic(cron=f"* * * * * */{every}")
    @app.task(name=SWEEP_TASK, queue=QUEUE, queueing_lock=SWEEP_TASK)
    def sweep_task(timestamp: int) -> None:
        if _worker_db is None:  # pragma: no cover - only a misconfigured process gets here
            raise RuntimeError("flok.sweep executed outside `flok worker`")
        sweep_stale_runs(_worker_db, _worker_stale_after)

    return app


def sweep_stale_runs(db: Database, stale_after: float) -> list[int]:
    """Fail runs whose heartbeat has been silent for ``stale_after`` seconds (their worker died)."""
    with db.write() as conn:
        stale = runs_repo.fail_interrupted(conn, silent_for=timedelta(seconds=stale_after))
    if stale:
        log.warning("marked %d run(s) of dead workers failed: %s", len(stale), stale)
    return stale


def ensure_schema(db: Database) -> None:
    """Install procrastinate's tables once per database (serialised by an advisory lock)."""
    install_schema_once(db, "procrastinate_jobs", procrastinate.schema.SchemaManager.get_schema())


class ProcrastinateQueue:
    """Defers runs from the web process; it never executes them itself."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.app = build_app(db, worker=False)
        self._open = False

    def start(self) -> None:
        ensure_schema(self.db)
        self.app.open()
        self._open = True

    def submit(self, run_id: int) -> None:
        self.app.tasks[TASK].defer(run_id=run_id)

    def stop(self) -> None:
        if self._open:
            self.app.close()
            self._open = False


def run_worker(
    db: Database,
    *,
    name: str | None = None,
    wait: bool = True,
    delay: float = 0.0,
    stale_after: float = 8 * HEARTBEAT_SECONDS,
    sweep_seconds: int = 30,
) -> None:
    """Execute queued runs until stopped (or, with ``wait=False``, until the queue is empty)."""
    global _worker_db, _worker_delay, _worker_stale_after
    _worker_db, _worker_delay, _worker_stale_after = db, delay, stale_after
    ensure_schema(db)
    sweep_stale_runs(db, stale_after)
    build_app(db, worker=True, sweep_seconds=sweep_seconds).run_worker(
        queues=[QUEUE], name=name or f"flok-{os.getpid()}", wait=wait, concurrency=1
    )
