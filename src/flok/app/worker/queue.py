"""The run queue interface and the in-process implementation used with SQLite.

SQLite has a single writer and lives on one machine, so runs execute in a thread pool of
the serving process; on restart, runs that were executing are marked failed (their thread
died with the process) and queued ones are submitted again. ``flok serve`` holds a lock on the
SQLite file, so every run found ``running`` there at start belonged to a dead server.

On PostgreSQL (``FLOK_QUEUE=thread``) other servers may share the database and be executing
their runs right now: a start then fails only runs whose heartbeat has been silent for
``stale_after`` seconds, and a sweep thread repeats that every ``sweep_seconds`` (and submits
queued runs left over by a server that died) for as long as this one runs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

from flok.app.worker.execute import execute_run
from flok.store import runs as runs_repo
from flok.store.db import Database

log = logging.getLogger("flok.runs")


class RunQueue(Protocol):
    def start(self) -> None: ...

    def submit(self, run_id: int) -> None: ...

    def stop(self) -> None: ...


class ThreadQueue:
    """Runs execute in this process; ``submit`` after the run row is committed."""

    def __init__(
        self,
        db: Database,
        threads: int,
        delay: float = 0.0,
        *,
        stale_after: float = 120.0,
        sweep_seconds: float = 30.0,
    ) -> None:
        self.db = db
        self.delay = delay
        self.threads = max(1, threads)
        self.stale_after = timedelta(seconds=stale_after)
        self.sweep_seconds = sweep_seconds
        self._pool: ThreadPoolExecutor | None = None
        self._sweeper: threading.Thread | None = None
        self._stopping = threading.Event()
        self._pending: set[int] = set()  # submitted here and not finished: not submitted twice
        self._lock = threading.Lock()
        self.name = f"in-process:{socket.gethostname()}:{os.getpid()}"  # runs' ``worker``

    def _ensure_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="flok-run")
        return self._pool

    def start(self) -> None:
        self._ensure_pool()
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
            except Exception:  # a database outage: the next sweep tries again
                log.warning("sweeping interrupted runs failed; trying again later", exc_info=True)

    def _resubmit(self, failed: list[int], queued: list[int]) -> None:
        if failed:
            log.warning("marked %d interrupted run(s) failed: %s", len(failed), failed)
        for run_id in queued:
            self.submit(int(run_id))

    def submit(self, run_id: int) -> None:
        with self._lock:
            if run_id in self._pending:
                return
            self._pending.add(run_id)
        self._ensure_pool().submit(self._safe, run_id)

    def _safe(self, run_id: int) -> None:
        try:
            execute_run(self.db, run_id, worker=self.name, delay=self.delay)
        except Exception:  # pragma: no cover - execute_run records its own failures
            log.exception("run %s crashed", run_id)
        finally:
            with self._lock:
                self._pending.discard(run_id)

    def stop(self) -> None:
        self._stopping.set()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
