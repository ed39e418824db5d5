"""The thread that ticks periodic rebalances in a process with the in-process queue.

With ``flok worker`` (procrastinate) the same tick is a periodic task of the workers
(``flok.app.worker.pg_queue``). Either way ``flok.app.schedule.run_due`` queues each due
rebalance once, whoever else ticks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flok.app.schedule import run_due
from flok.pulse import PulseConfig
from flok.store.db import Database

log = logging.getLogger("flok.runs")


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
