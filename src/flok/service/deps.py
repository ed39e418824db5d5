"""Request dependencies: the app's state and the caller's organization (from the API key)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flok.pulse import PulseConfig
from flok.service.errors import ApiError
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
    _key_cache: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def org_for_key(self, key: str) -> int | None:
        """Key lookups are cached briefly (by hash, never the key) to spare a query per call."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        hit = self._key_cache.get(digest)
        if hit and hit[1] > now:
            return hit[0]
        with self.db.read() as conn:
            org = keys.org_for_key(conn, key)
        if org is not None:
            with self._lock:
                if len(self._key_cache) > 10_000:
                    self._key_cache.clear()
                self._key_cache[digest] = (org, now + self.settings.key_cache_seconds)
        return org


def get_state(request: Request) -> State:
    state: State = request.app.state.flok
    return state


_bearer = HTTPBearer(auto_error=False, description="An API key from `flok keys create --org NAME`.")


def get_org(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> int:
    """The caller's organization; 401 without a valid ``Authorization: Bearer KEY``."""
    if credentials is None or not credentials.credentials.strip():
        raise ApiError(401, "UNAUTHORIZED", "send an API key as 'Authorization: Bearer KEY'")
    org = get_state(request).org_for_key(credentials.credentials.strip())
    if org is None:
        raise ApiError(401, "UNAUTHORIZED", "unknown or revoked API key")
    return org


StateDep = Annotated[State, Depends(get_state)]
OrgDep = Annotated[int, Depends(get_org)]
