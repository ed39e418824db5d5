"""The PostgreSQL queue: runs are procrastinate jobs, executed by any number of ``flok worker`` processes.

procrastinate fetches jobs with ``FOR UPDATE SKIP LOCKED`` and wakes workers by LISTEN/NOTIFY;
on top of that, ``execute_run`` claims the run row conditionally, so a run executes exactly
once even if a job were delivered twice.

Slots are shared fairly between organizations (``flok.app.worker.fair``): a job whose run should
not take the slot now (its organization has its share running, or another organization has
fewer running) goes back to the queue for ``TURN_WAIT_SECONDS`` and the worker takes the next job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from datetime import timedelta
from typing import Any

import procrastinate

from flok.app.worker.execute import HEARTBEAT_SECONDS, execute_run
from flok.app.worker.fair import claim_if_turn
from flok.app.worker.queue import sweep_waitlists
from flok.app.worker.ticker import run_due
from flok.errors import UnavailableError
from flok.pulse import PulseConfig
from flok.store import faults
from flok.store import runs as runs_repo
from flok.store.db import Database, install_schema_once

# A job that failed on a lost connection (its claim never reached the database) is tried
# again; the run is claimed at most once, so a retry of a job that did claim it is a no-op.
CONNECTION_RETRY = procrastinate.RetryStrategy(
    max_attempts=5, wait=2, exponential_wait=2, retry_exceptions=set(faults.DISCONNECTS)
)
# How long a run that must let another organization go first waits before its job is tried
# again (the worker takes the next job meanwhile).
TURN_WAIT_SECONDS = 1


class NotYourTurn(Exception):
    """The job's run must leave this slot to a run of an organization with fewer runs running."""


class FairShareRetry(procrastinate.BaseRetryStrategy):
    """Retries a job whose run waits its turn for as long as it waits (it is still queued and
    fine); anything else is up to ``CONNECTION_RETRY``."""

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if isinstance(exception, NotYourTurn):
            return procrastinate.RetryDecision(retry_in={"seconds": TURN_WAIT_SECONDS})
        return CONNECTION_RETRY.get_retry_decision(exception=exception, job=job)


# What a worker that lost its database raises (procrastinate wraps psycopg's errors).
WORKER_LOST: tuple[type[Exception], ...] = (procrastinate.exceptions.ConnectorException, *faults.DISCONNECTS)
# Connections procrastinate may open per process (on top of the process's database pool).
WORKER_QUEUE_CONNECTIONS = 5
SERVER_QUEUE_CONNECTIONS = 3
TASK = "flok.run"
SWEEP_TASK = "flok.sweep"
SCHEDULE_TASK = "flok.schedule"
QUEUE = "flok_runs"

log = logging.getLogger("flok.runs")
_worker_db: Database | None = None  # the worker process's database, set by ``run_worker``
_worker_delay = 0.0
_worker_stale_after = 8 * HEARTBEAT_SECONDS
_worker_max_per_org: int | None = None  # FLOK_MAX_RUNS_PER_ORG; unset: all live workers but one
_worker_pulse = PulseConfig()  # the sign-up lead scheduled rebalances are queued with


def build_app(
    db: Database, *, worker: bool, sweep_seconds: int = 30, tick_seconds: float = 30
) -> procrastinate.App:
    """The procrastinate app: the run task, a periodic sweep of runs whose worker died, and a
    periodic tick that queues due scheduled rebalances (``flok.app.schedule``).

    The sweep runs on whichever worker is free (at most one queued at a time), so a killed
    worker's run turns ``failed`` within ``stale_after + sweep_seconds`` without a restart.
    """
    connector: procrastinate.BaseConnector
    # procrastinate's own pool (psycopg_pool keeps 4 connections open by default): one kept
    # open, a few more on demand (a worker's listener, fetches, heartbeat and periodic
    # deferrals; a web process's deferrals), within the budget in docs/service.md.
    if worker:
        connector = procrastinate.PsycopgConnector(
            conninfo=db.conninfo, min_size=1, max_size=WORKER_QUEUE_CONNECTIONS
        )
    else:
        connector = procrastinate.SyncPsycopgConnector(
            conninfo=db.conninfo, min_size=1, max_size=SERVER_QUEUE_CONNECTIONS
        )
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK, queue=QUEUE, retry=FairShareRetry())
    def run_task(run_id: int) -> None:
        if _worker_db is None:  # pragma: no cover - only a misconfigured process gets here
            raise RuntimeError("flok.run executed outside `flok worker`")
        worker = f"{socket.gethostname()}:{os.getpid()}"
        turn = claim_if_turn(
            _worker_db, run_id, worker, max_per_org=_worker_max_per_org, stale_after=_worker_stale_after
        )
        if turn == "wait":
            raise NotYourTurn(f"run {run_id} waits for its organization's share of the workers")
        if turn == "claimed":
            execute_run(_worker_db, run_id, worker=worker, delay=_worker_delay, claimed=True)

    every = max(1, min(59, int(sweep_seconds)))

    @app.periodic(cron=f"* * * * * */{every}")
    @app.task(name=SWEEP_TASK, queue=QUEUE, queueing_lock=SWEEP_TASK)
    def sweep_task(timestamp: int) -> None:
        if _worker_db is None:  # pragma: no cover - only a misconfigured process gets here
            raise RuntimeError("flok.sweep executed outside `flok worker`")
        sweep_stale_runs(_worker_db, _worker_stale_after)
        sweep_waitlists(_worker_db)

    tick = max(1, min(59, round(tick_seconds)))

    @app.periodic(cron=f"* * * * * */{tick}")
    @app.task(name=SCHEDULE_TASK, queue=QUEUE, queueing_lock=SCHEDULE_TASK)
    async def schedule_task(timestamp: int) -> None:
        if _worker_db is None:  # pragma: no cover - only a misconfigured process gets here
            raise RuntimeError("flok.schedule executed outside `flok worker`")
        # Each due schedule is claimed by compare-and-set (once, whatever other worker ticks);
        # its run gets a job here. Should this worker die in between, the sweep fails the run.
        queued = await asyncio.to_thread(run_due, _worker_db, _worker_pulse, lambda _run: None)
        for run_id in queued:
            await run_task.defer_async(run_id=run_id)

    return app


def sweep_stale_runs(db: Database, stale_after: float) -> list[int]:
    """Fail runs whose heartbeat has been silent for ``stale_after`` seconds (their worker died),
    and queued runs older than that which no job will ever execute (their job failed for good
    or is gone), so their campaigns accept a new allocation instead of RUN_ACTIVE forever."""
    silent = timedelta(seconds=stale_after)
    with db.write() as conn:
        stale = runs_repo.fail_interrupted(conn, silent_for=silent)
        stranded = runs_repo.fail_queued_without_job(conn, older_than=silent)
    if stale:
        log.warning("marked %d run(s) of dead workers failed: %s", len(stale), stale)
    if stranded:
        log.warning("marked %d queued run(s) without a live job failed: %s", len(stranded), stranded)
    return stale + stranded


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
    max_per_org: int | None = None,
    pulse: PulseConfig | None = None,
    tick_seconds: float = 30,
) -> None:
    """Execute queued runs until stopped (or, with ``wait=False``, until the queue is empty)."""
    global _worker_db, _worker_delay, _worker_stale_after, _worker_max_per_org, _worker_pulse
    _worker_db, _worker_delay, _worker_stale_after = db, delay, stale_after
    _worker_max_per_org = max_per_org
    _worker_pulse = pulse or PulseConfig()
    app = build_app(db, worker=True, sweep_seconds=sweep_seconds, tick_seconds=tick_seconds)
    try:
        ensure_schema(db)
        sweep_stale_runs(db, stale_after)
        asked = asyncio.run(_work(app, queues=[QUEUE], name=name or f"flok-{os.getpid()}", wait=wait))
    except WORKER_LOST as exc:
        raise _lost(exc) from exc
    if wait and not asked:
        # procrastinate stops "gracefully" when its listener or heartbeat loses the database;
        # exiting 0 then would tell a supervisor all is well, and nobody would run the queue.
        raise _lost(None)


def _lost(exc: BaseException | None) -> UnavailableError:
    cause = f": {faults.unavailable(exc).message}" if exc is not None and faults.is_disconnect(exc) else ""
    return UnavailableError(
        f"the worker lost its database connection and stopped{cause}; restart it "
        "(run it under a supervisor that restarts it on a non-zero exit)"
    )


async def _work(app: procrastinate.App, **options: Any) -> bool:
    """Run the worker until it stops; True when SIGINT or SIGTERM asked it to (the only way a
    waiting worker should stop), False when it stopped on its own."""
    asked = asyncio.Event()
    loop = asyncio.get_running_loop()
    async with app.open_async():
        task = asyncio.create_task(
            app.run_worker_async(install_signal_handlers=False, concurrency=1, **options)
        )

        def stop() -> None:
            asked.set()
            task.cancel()  # procrastinate finishes the job in hand, then stops

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await task
        except asyncio.CancelledError:
            if not asked.is_set():
                raise
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    return asked.is_set()
