"""One ``flok serve`` per SQLite file, enforced by a lock file next to the database.

A server executes its runs in its own threads, so at start it fails every run it finds
``running`` (their thread died with the previous server). A second server on the same file
would fail the first one's live runs, and both would write; so the first holds an exclusive
``flock`` on ``<database>.lock`` for as long as it lives, and a second one refuses to start.
The kernel releases the lock when the process ends in any way (even ``kill -9``), so a stale
lock file never blocks a restart; the file itself stays (removing it would race a new server).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from flok.errors import ConflictError, UnavailableError

_held: dict[Path, int] = {}  # lock file → descriptor, open for the life of the process


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def hold_serve_lock(database: Path) -> Path:
    """Take the lock of ``database`` for this process's lifetime (again: no-op); the lock file.
    ``ConflictError`` naming the other server's pid when another process holds it,
    ``UnavailableError`` when the lock file cannot be created."""
    path = lock_path(database.resolve())
    if path in _held:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes
    except OSError as exc:  # a folder the service may not write: say so, not a traceback
        raise UnavailableError(
            f"cannot use the database {database.resolve()}: cannot create its lock file {path} "
            f"({exc.strerror or exc}); make the folder writable by the service",
            code="STORAGE_UNAVAILABLE",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        who = f" (pid {holder})" if holder.isdigit() else ""
        raise ConflictError(
            f"another flok serve{who} is already using the database {database.resolve()}; "
            "one server per SQLite file: stop that one first, use another --database-url, "
            "or use PostgreSQL to run several servers",
            code="DATABASE_IN_USE",
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[path] = fd
    return path
