"""Request dependencies: the process's ``flok.app`` state and the caller's organization (API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flok.app.state import State
from flok.errors import UnauthorizedError


def state_of(request: Request) -> State:
    """The state the composition root (``flok.server``) put on the app."""
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
        raise UnauthorizedError("send an API key as 'Authorization: Bearer KEY'")
    key = credentials.credentials.strip()
    state = state_of(request)
    org = state.cached_org(key)
    if org is None:
        org = await run_in_threadpool(state.org_for_key, key)
    if org is None:
        raise UnauthorizedError("unknown or revoked API key")
    return org


StateDep = Annotated[State, Depends(get_state)]
OrgDep = Annotated[int, Depends(get_org)]


async def get_actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """Who made a change, as history records it: the key's non-secret prefix (never the key)."""
    parts = (credentials.credentials.strip() if credentials else "").split("_")
    return f"key {parts[1]}" if len(parts) >= 3 and parts[0] == "flok" else "key"


ActorDep = Annotated[str, Depends(get_actor)]
