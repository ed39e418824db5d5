"""Group commit for ``POST /feedback``: concurrent events share one database transaction.

Each request queues its event and awaits its own answer; one drain task per process writes
whatever has queued meanwhile as one batch. Under load, batches grow by themselves and a
transaction's fixed cost is shared; when idle, an event is written alone at once, so nothing
waits on a timer. On PostgreSQL the batch goes through a dedicated async psycopg connection
on the event loop (no thread hand-off); on SQLite through SQLAlchemy on one writer thread,
so the event loop keeps accepting requests meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg

from flok.pulse import PulseConfig
from flok.store import feedback as repo
from flok.store.db import Database
from flok.store.errors import StoreError

log = logging.getLogger("flok.service")


class FeedbackBatcher:
    """Queue events from many requests; write them in batches of at most ``max_batch``."""

    def __init__(self, db: Database, config: PulseConfig, *, max_batch: int = 256) -> None:
        self.db = db
        self.config = config
        self.max_batch = max_batch
        self._pending: list[tuple[repo.FeedbackEvent, asyncio.Future[repo.Answer]]] = []
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None  # SQLite
        self._pg: psycopg.AsyncConnection[Any] | None = None  # PostgreSQL
        self._pg_loop: asyncio.AbstractEventLoop | None = None

    async def record(self, event: repo.FeedbackEvent) -> repo.DemandRow:
        """The opportunity's demand right after this event; raises the event's own error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[repo.Answer] = loop.create_future()
        self._pending.append((event, future))
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            self._task = loop.create_task(self._drain())
        answer = await future
        if isinstance(answer, StoreError):
            raise answer
        return answer

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                answers = await self._write([e for e, _ in batch])
            except Exception as exc:  # the whole transaction failed: every waiter hears why
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)

    async def _write(self, events: list[repo.FeedbackEvent]) -> list[repo.Answer]:
        if self.db.is_sqlite:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="flok-feedback")
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._write_sync, events)
        try:
            return await repo.record_feedback_pg(await self._pg_connection(), events, self.config)
        except psycopg.OperationalError:
            # A dropped connection (server restart, idle timeout): reconnect and try once more.
            # Safe even if the commit got through: event ids make a repeated batch count once.
            self._drop_pg()
            log.warning("feedback: database connection lost; reconnecting", exc_info=True)
            return await repo.record_feedback_pg(await self._pg_connection(), events, self.config)

    def _write_sync(self, events: list[repo.FeedbackEvent]) -> list[repo.Answer]:
        with self.db.write() as conn:
            return repo.record_feedback(conn, events, self.config)

    async def _pg_connection(self) -> psycopg.AsyncConnection[Any]:
        loop = asyncio.get_running_loop()
        if self._pg is not None and (self._pg.closed or self._pg.broken or self._pg_loop is not loop):
            self._drop_pg()
        if self._pg is None:
            # Feedback is high-rate and low-value: commit without waiting for the WAL flush
            # (still atomic and isolated; a server crash may lose the last instant of events).
            self._pg = await psycopg.AsyncConnection.connect(
                self.db.conninfo, autocommit=True, options="-c synchronous_commit=off"
            )
            self._pg_loop = loop
        return self._pg

    def _drop_pg(self) -> None:
        conn, self._pg = self._pg, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()  # sync close: the loop that opened it may be gone

    async def aclose(self) -> None:
        """Finish the batch in flight, then release the connection or the writer thread."""
        task = self._task
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await task
        self._drop_pg()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
