"""Database failures that are not the request's fault: lost connections, a server that is down,
storage that is read-only or full. They become ``UnavailableError`` (HTTP 503) with a message
an operator can act on, and each cause is logged once, not once per request.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import exc as sa_exc

from flok.errors import UnavailableError

log = logging.getLogger("flok.store")

# The exception classes a database failure arrives as (``is_disconnect`` then tells a failure
# of the database from a defect that happens to share the class, such as an SQL typo on SQLite).
DISCONNECTS: tuple[type[Exception], ...] = (
    sa_exc.TimeoutError,  # every connection of this process's pool is in use (pool_timeout)
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)

# SQLite's words for storage that cannot take writes, and what an operator should do about it.
_STORAGE = {
    "readonly": "the database file is read-only: make the file and its folder writable by the service",
    "disk is full": "the disk holding the database is full: free space on it",
    "disk i/o error": "the disk holding the database failed to read or write (disk I/O error): check it",
    "unable to open database file": "the database file cannot be opened: check it exists and is accessible",
}
_SQLITE_BUSY = ("database is locked", "database table is locked")


def _driver_error(exc: BaseException) -> BaseException:
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def is_disconnect(exc: BaseException) -> bool:
    """A failure of the database itself (worth retrying later), not of one request or of our code."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    driver = _driver_error(exc)
    if isinstance(driver, sqlite3.Error):
        text = str(driver).lower()
        return any(words in text for words in (*_STORAGE, *_SQLITE_BUSY))
    # psycopg's OperationalError: connection lost or refused, server shutting down, too many
    # clients, disk full, a lock or statement timeout (syntax errors are ProgrammingError).
    return isinstance(driver, psycopg.OperationalError | psycopg.InterfaceError)


def diagnose(exc: BaseException) -> tuple[str, str]:
    """``(code, what is wrong and what to do)`` for a failure ``is_disconnect`` accepts, in an
    operator's words; the driver's own text is left out (it can name hosts, files and tables)."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "DATABASE_BUSY", (
            "the service is busy: every database connection of this server process is in use "
            "(FLOK_DB_POOL_SIZE + FLOK_DB_MAX_OVERFLOW)"
        )
    text = str(_driver_error(exc)).lower()
    if "too many clients" in text or "remaining connection slots" in text:
        return "DATABASE_BUSY", (
            "the database server has no free connection (its max_connections is reached: see "
            "the connection budget in the service's Operations docs)"
        )
    for words, advice in _STORAGE.items():
        if words in text:
            return "STORAGE_UNAVAILABLE", f"the service cannot write to its database right now ({advice})"
    if "no space left" in text or "disk full" in text:  # PostgreSQL: could not extend a file
        return "STORAGE_UNAVAILABLE", "the database server's disk is full: free space on it"
    if any(words in text for words in _SQLITE_BUSY) or "deadlock" in text or "lock not available" in text:
        return "DATABASE_BUSY", "the database is busy (another transaction holds a lock it needs)"
    return "DATABASE_UNAVAILABLE", (
        "the database is unreachable (its server is down or restarting, or the connection was lost)"
    )


_AFTER = {
    "DATABASE_BUSY": "nothing was stored, try again",
    "STORAGE_UNAVAILABLE": "nothing was stored",
    "DATABASE_UNAVAILABLE": "nothing was stored, try again in a few seconds",
}


def unavailable(exc: BaseException) -> UnavailableError:
    """The refusal a client sees for ``exc`` (``is_disconnect(exc)``)."""
    code, what = diagnose(exc)
    return UnavailableError(f"{what}; {_AFTER[code]}", code=code)


@contextmanager
def opening(label: str) -> Iterator[None]:
    """Start-up of a command (``flok serve``): a database it cannot reach or write becomes one
    ``UnavailableError`` naming the database (``label``, no password) and the cause, so the
    command exits 6 (unavailable, try again later) with one line, not 4 (a Flok defect)."""
    try:
        yield
    except DISCONNECTS as exc:
        if not is_disconnect(exc):
            raise
        code, what = diagnose(exc)
        raise UnavailableError(f"cannot use the database {label}: {what}", code=code) from exc


class OnceLog:
    """Log each distinct cause at most once per ``every`` seconds (then how often it recurred),
    so a read-only disk under load is one log line, not one per request."""

    def __init__(self, every: float = 300.0) -> None:
        self.every = every
        self._seen: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def error(self, refusal: UnavailableError, exc: BaseException) -> bool:
        """Log ``exc`` (the driver's message, for the operator) unless its cause was logged
        recently; True when it was logged."""
        cause = f"{refusal.code}: {type(exc).__name__}: {_driver_error(exc)}"
        now = time.monotonic()
        with self._lock:
            last, repeats = self._seen.get(cause, (float("-inf"), 0))
            if now - last < self.every:
                self._seen[cause] = (last, repeats + 1)
                return False
            self._seen[cause] = (now, 0)
        again = f" ({repeats} more time(s) since last logged)" if repeats else ""
        log.error("%s — %s%s", refusal.message, cause.splitlines()[0], again)
        return True


# The process's log for failures met outside a request (a worker's runs); the server keeps its own.
faults = OnceLog()
