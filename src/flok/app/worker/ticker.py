"""The tick of periodic rebalances (``flok.app.schedule``): queue each due one, once.

A tick queues a rebalance run for every schedule found due, through the same queue as
``POST /rebalance``; the compare-and-set in ``flok.store.schedules.claim`` makes the queuing
happen once however many servers and workers tick at the same moment. ``Ticker`` is the thread
that ticks next to the in-process queue; with ``flok worker`` (procrastinate) the tick is a
periodic task of the workers (``flok.app.worker.pg_queue``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flok.app.matching import queue_rebalance
from flok.pulse import PulseConfig
from flok.store import runs as runs_repo
from flok.store import schedules
from flok.store.db import Database
from flok.store.types import utcnow

log = logging.getLogger("flok.runs")


def next_due(seen: datetime, interval_minutes: int, now: datetime) -> datetime:
    """One interval after the due time; a schedule that fell behind (no worker ran for a while)
    is not caught up run by run: the next one is an interval from now."""
    step = timedelta(minutes=interval_minutes)
    following = seen + step
    return following if following > now else now + step


def run_due(
    db: Database, pulse: PulseConfig, submit: Callable[[int], None], *, now: datetime | None = None
) -> list[int]:
    """Queue a rebalance for every schedule due at ``now`` (default: the clock); the runs queued.

    Each schedule is claimed by compare-and-set in its own transaction with its run, so a run
    is queued once whoever else ticks; ``submit`` hands the committed run to the queue. A
    schedule whose previous run is still queued or running is moved on without a new run
    (runs of one organization would pile up behind a slow one).
    """
    at = now or utcnow()
    with db.read() as conn:
        found = schedules.due(conn, at)
    queued: list[int] = []
    for seen in found:
        assert seen.next_due_at is not None  # due() only returns schedules with a due time
        with db.write() as conn:
            if not schedules.claim(conn, seen, next_due(seen.next_due_at, seen.interval_minutes, at)):
                continue  # another server or worker queued this one
            previous = None if seen.last_run_id is None else runs_repo.load(conn, seen.last_run_id)
            if previous is not None and previous.status in runs_repo.ACTIVE:
                log.info(
                    "scheduled rebalance of organization %s skipped: run %s is still %s",
                    seen.org_id,
                    previous.id,
                    previous.status,
                )
                continue
            run_id = queue_rebalance(conn, seen.org_id, None, pulse)
            schedules.set_last_run(conn, seen.org_id, run_id)
        submit(run_id)
        queued.append(run_id)
    return queued


class Ticker:
    """Every ``every`` seconds, queue the rebalances whose schedule is due (``submit`` each)."""

    def __init__(self, db: Database, pulse: PulseConfig, submit: Callable[[int], None], every: float) -> None:
        self.db, self.pulse, self.submit, self.every = db, pulse, submit, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="flok-schedule")
        self._thread.start()

    def tick(self) -> list[int]:
        return run_due(self.db, self.pulse, self.submit)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.tick()
            except Exception:  # a database outage: the next tick tries again
                log.warning("queuing scheduled rebalances failed; trying again next tick", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
