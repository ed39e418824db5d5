"""The run queue interface and the in-process implementation used with SQLite.

SQLite has a single writer and lives on one machine, so runs execute in a thread pool of
the serving process; on restart, runs that were executing are marked failed (their thread
died with the process) and queued ones are submitted again.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
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

    def __init__(self, db: Database, threads: int, delay: float = 0.0) -> None:
        self.db = db
        self.delay = delay
        self.threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None

    def _ensure_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="flok-run")
        return self._pool

    def start(self) -> None:
        self._ensure_pool()
        with self.db.write() as conn:
            failed = runs_repo.fail_interrupted(conn)
            queued = runs_repo.queued_ids(conn)
        if failed:
            log.warning("marked %d interrupted run(s) failed: %s", len(failed), failed)
        for run_id in queued:
            self.submit(int(run_id))

    def submit(self, run_id: int) -> None:
        self._ensure_pool().submit(self._safe, run_id)

    def _safe(self, run_id: int) -> None:
        try:
            execute_run(self.db, run_id, worker="in-process", delay=self.delay)
        except Exception:  # pragma: no cover - execute_run records its own failures
            log.exception("run %s crashed", run_id)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
