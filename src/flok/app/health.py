"""Readiness: the database answers a trivial query."""

from __future__ import annotations

from flok.app.state import State
from flok.store.db import ping


def check_database(state: State) -> str:
    """The database's dialect, once it has answered (raises when it cannot)."""
    with state.db.read() as conn:
        ping(conn)
    return state.db.dialect
