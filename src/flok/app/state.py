"""The one handle every use case takes: settings, database, run queue, feedback batcher, caches.

Built once per process by the composition root (``flok.server``) and shared by the API and the
dashboard, so both see the same key cache, catalog cache and queue.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from flok.app.feedback_batch import FeedbackBatcher
from flok.app.market import Catalogs
from flok.app.settings import Settings
from flok.app.worker.queue import RunQueue, ThreadQueue
from flok.pulse import PulseConfig
from flok.store import keys
from flok.store.db import Database
from flok.store.faults import OnceLog


def make_queue(settings: Settings, db: Database) -> RunQueue:
    """Threads in this process on SQLite; the PostgreSQL queue (``flok worker``) otherwise."""
    if settings.queue_kind() == "thread":
        return ThreadQueue(
            db,
            settings.run_threads,
            settings.run_delay_seconds,
            stale_after=settings.stale_run_seconds,
            sweep_seconds=settings.sweep_seconds,
            max_per_org=settings.max_runs_per_org,
        )
    from flok.app.worker.pg_queue import ProcrastinateQueue

    return ProcrastinateQueue(db)


@dataclass
class State:
    """Everything a use case needs besides its arguments, built once per process."""

    settings: Settings
    db: Database
    queue: RunQueue
    pulse: PulseConfig = field(default_factory=PulseConfig)
    feedback: FeedbackBatcher = field(init=False)
    catalogs: Catalogs = field(default_factory=Catalogs)
    faults: OnceLog = field(default_factory=OnceLog)  # database failures, logged once per cause
    _key_cache: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.feedback = FeedbackBatcher(self.db, self.pulse)

    @classmethod
    def open(cls, settings: Settings) -> State:
        """Connect (and migrate, unless told not to) and pick the run queue the settings ask for."""
        db = Database(settings.database_url, **settings.pool_options())
        if settings.migrate:
            db.migrate()
        pulse = PulseConfig(
            lead_hours=settings.signup_lead_hours, clock_skew_seconds=settings.feedback_clock_skew_seconds
        )
        return cls(settings=settings, db=db, queue=make_queue(settings, db), pulse=pulse)

    def cached_org(self, key: str) -> int | None:
        """The organization of a key looked up recently, without touching the database."""
        hit = self._key_cache.get(_digest(key))
        return hit[0] if hit and hit[1] > time.monotonic() else None

    def org_for_key(self, key: str) -> int | None:
        """Key lookups are cached briefly (by hash, never the key) to spare a query per call."""
        cached = self.cached_org(key)
        if cached is not None:
            return cached
        with self.db.read() as conn:
            org = keys.org_for_key(conn, key)
        if org is not None:
            with self._lock:
                if len(self._key_cache) > 10_000:
                    self._key_cache.clear()
                self._key_cache[_digest(key)] = (org, time.monotonic() + self.settings.key_cache_seconds)
        return org


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
