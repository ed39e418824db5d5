"""Request dependencies: the app's state and the caller's organization (from the API key)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flok.pulse import PulseConfig
from flok.service.errors import ApiError
from flok.service.feedback_batch import FeedbackBatcher
from flok.service.market import Catalogs
from flok.service.runs.queue import RunQueue
from flok.service.settings import Settings
from flok.store import keys
from flok.store.db import Database


@dataclass
class State:
    """Everything a request handler needs, built once by ``create_app``."""

    settings: Settings
    db: Database
    queue: RunQueue
    pulse: PulseConfig = field(default_factory=PulseConfig)
    feedback: FeedbackBatcher = field(init=False)
    catalogs: Catalogs = field(default_factory=Catalogs)
    _key_cache: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.feedback = FeedbackBatcher(self.db, self.pulse)

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


def state_of(request: Request) -> State:
    state: State = request.app.state.flok
    return state


async def get_state(request: Request) -> State:
    """Async (like ``get_org``): a sync dependency would cost each request a thread-pool hop."""
    return state_of(request)


_bearer = HTTPBearer(auto_error=False, description="An API key from `flok keys create --org NAME`.")


async def get_org(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> int:
    """The caller's organization; 401 without a valid ``Authorization: Bearer KEY``.

    Async, so a cached key costs no trip to the thread pool; a miss reads the database there.
    """
    if credentials is None or not credentials.credentials.strip():
        raise ApiError(401, "UNAUTHORIZED", "send an API key as 'Authorization: Bearer KEY'")
    key = credentials.credentials.strip()
    state = state_of(request)
    org = state.cached_org(key)
    if org is None:
        org = await run_in_threadpool(state.org_for_key, key)
    if org is None:
        raise ApiError(401, "UNAUTHORIZED", "unknown or revoked API key")
    return org


StateDep = Annotated[State, Depends(get_state)]
OrgDep = Annotated[int, Depends(get_org)]
