"""The run queue interface and the in-process implementation used with SQLite.

SQLite has a single writer and lives on one machine, so runs execute in a thread pool of
the serving process; on restart, runs that were executing are marked failed (their thread
died with the process) and queued ones are submitted again. ``flok serve`` holds a lock on the
SQLite file, so every run found ``running`` there at start belonged to a dead server.

On PostgreSQL (``FLOK_QUEUE=thread``) other servers may share the database and be executing
their runs right now: a start then fails only runs whose heartbeat has been silent for
``stale_after`` seconds, and a sweep thread repeats that every ``sweep_seconds`` (and submits
queued runs left over by a server that died) for as long as this one runs.

Submitted runs do not start in submission order: a free thread takes the fairest waiting run
(``flok.app.worker.fair``: the organization with the fewest runs running first, and never more
than its share of the threads), so one tenant's long runs cannot hold every thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Protocol

from flok.app.worker.execute import execute_run
from flok.app.worker.fair import claim_next, per_org_cap
from flok.store import runs as runs_repo
from flok.store.db import Database

log = logging.getLogger("flok.runs")


class RunQueue(Protocol):
    def start(self) -> None: ...

    def submit(self, run_id: int) -> None: ...

    def stop(self) -> None: ...


class ThreadQueue:
    """Runs execute in this process; ``submit`` after the run row is committed."""

    # How long an idle thread waits before looking again at runs it could not take (their
    # organizations were at their share): a run finishing here wakes it sooner.
    RECHECK_SECONDS = 1.0

    def __init__(
        self,
        db: Database,
        threads: int,
        delay: float = 0.0,
        *,
        stale_after: float = 120.0,
        sweep_seconds: float = 30.0,
        max_per_org: int | None = None,
    ) -> None:
        self.db = db
        self.delay = delay
        self.threads = max(1, threads)
        self.cap = per_org_cap(max_per_org, self.threads)  # runs of one organization at once
        self.stale_after = timedelta(seconds=stale_after)
        self.sweep_seconds = sweep_seconds
        self._closed: threading.Event | None = None  # set while run threads exist; set() stops them
        self._sweeper: threading.Thread | None = None
        self._stopping = threading.Event()
        self._pending: set[int] = set()  # submitted here and not finished: not submitted twice
        self._waiting: set[int] = set()  # submitted here and not started yet
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self.name = f"in-process:{socket.gethostname()}:{os.getpid()}"  # runs' ``worker``

    def _ensure_threads(self) -> None:
        with self._lock:
            if self._closed is not None:
                return
            closed = self._closed = threading.Event()
        for i in range(self.threads):
            threading.Thread(target=self._work, args=(closed,), daemon=True, name=f"flok-run-{i}").start()

    def start(self) -> None:
        self._ensure_threads()
        if self.db.is_sqlite:
            with self.db.write() as conn:
                failed = runs_repo.fail_interrupted(conn)
                queued = runs_repo.queued_ids(conn)
            self._resubmit(failed, queued)
            return
        self.sweep(older_than=None)
        self._stopping.clear()
        self._sweeper = threading.Thread(target=self._sweep_loop, daemon=True, name="flok-run-sweep")
        self._sweeper.start()

    def sweep(self, older_than: timedelta | None) -> None:
        """Shared database: fail runs of dead processes (silent heartbeat) and submit queued runs
        (created over ``older_than`` ago; all of them when None) — never a live server's running run."""
        with self.db.write() as conn:
            failed = runs_repo.fail_interrupted(conn, silent_for=self.stale_after)
            queued = runs_repo.queued_ids(conn, older_than=older_than)
        self._resubmit(failed, queued)

    def _sweep_loop(self) -> None:
        while not self._stopping.wait(self.sweep_seconds):
            try:
                self.sweep(older_than=self.stale_after)
                sweep_waitlists(self.db)
            except Exception:  # a database outage: the next sweep tries again
                log.warning("sweeping interrupted runs failed; trying again later", exc_info=True)

    def _resubmit(self, failed: list[int], queued: list[int]) -> None:
        if failed:
            log.warning("marked %d interrupted run(s) failed: %s", len(failed), failed)
        for run_id in queued:
            self.submit(int(run_id))

    def submit(self, run_id: int) -> None:
        self._ensure_threads()
        with self._wake:
            if run_id in self._pending:
                return
            self._pending.add(run_id)
            self._waiting.add(run_id)
            self._wake.notify_all()

    def _work(self, closed: threading.Event) -> None:
        """One run slot: take the fairest waiting run, execute it, repeat until stopped."""
        while True:
            with self._wake:
                while not self._waiting and not closed.is_set():
                    self._wake.wait()
                if closed.is_set():
                    return
                candidates = set(self._waiting)
            try:
                run_id, gone = claim_next(self.db, self.name, self.cap, candidates)
            except Exception:  # a database outage: the runs stay queued, this slot looks again
                log.warning("choosing the next run failed; trying again shortly", exc_info=True)
                run_id, gone = None, set()
            with self._wake:
                self._waiting -= gone  # cancelled, or claimed by another server: not ours to run
                self._pending -= gone
                if run_id is None:
                    if not closed.is_set():
                        self._wake.wait(self.RECHECK_SECONDS)
                    continue
                self._waiting.discard(run_id)
            self._run(run_id)

    def _run(self, run_id: int) -> None:
        try:
            execute_run(self.db, run_id, worker=self.name, delay=self.delay, claimed=True)
        except Exception:  # pragma: no cover - execute_run records its own failures
            log.exception("run %s crashed", run_id)
        finally:
            with self._wake:
                self._pending.discard(run_id)
                self._wake.notify_all()  # a slot of this run's organization is free again

    def stop(self) -> None:
        """Stop taking runs (one in hand finishes in its daemon thread, or dies with the
        process); waiting runs stay queued in the database for the next start."""
        self._stopping.set()
        with self._wake:
            if self._closed is not None:
                self._closed.set()
                self._closed = None
            self._waiting.clear()
            self._pending.clear()
            self._wake.notify_all()


def sweep_waitlists(db: Database) -> None:
    """Expire overdue seat offers and pass their seats on, though nobody reads the waitlist (the
    periodic sweep of a shared database; reads and actions do the same lazily)."""
    from flok.app import waitlist  # the use cases import the queue's module through State

    filled = waitlist.sweep(db)
    if filled:
        log.info("filled the waitlists of %d campaign(s) with overdue offers", filled)
