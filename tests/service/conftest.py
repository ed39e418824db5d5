"""Fixtures for the service tests: real SQLite files, a real PostgreSQL database per session,
servers on free ports. Nothing here mocks the database."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from flok.app.settings import Settings
from flok.server import create_app, seed_demo
from flok.service.local import free_port
from flok.store import keys
from flok.store.db import Database

# How long a test waits on another process or thread (a run, a server, a worker): generous,
# since the machine may be busy. Tests wait on a condition, so a quiet machine never waits long.
LIMIT = 180.0
PG_HOST = os.environ.get("FLOK_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("FLOK_TEST_PG_PORT", "5432"))


def _admin_connect() -> Any:
    import psycopg

    errors = []
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="test", autocommit=True, connect_timeout=3
            ), user
        except psycopg.Error as exc:
            errors.append(f"{user}: {str(exc).strip()}")
    raise RuntimeError("; ".join(errors))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for this test session (dropped afterwards)."""
    try:
        admin, user = _admin_connect()
    except Exception as exc:
        pytest.skip(f"no PostgreSQL server answers at {PG_HOST}:{PG_PORT} ({exc})")
    name = f"flok_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'flok.db'}"


def new_key(db: Database, org: str | None = None) -> str:
    with db.write() as conn:
        return keys.create_key(conn, keys.ensure_org(conn, org or f"org-{uuid.uuid4().hex[:8]}"))


@dataclass
class Api:
    """An HTTP client bound to one organization's key."""

    client: Any
    key: str
    db: Database

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def other_org(self) -> Api:
        return Api(self.client, new_key(self.db), self.db)

    def wait_run(self, run_id: int, timeout: float = LIMIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.get(f"/runs/{run_id}").json()
            if run["status"] not in ("queued", "running") or time.monotonic() > deadline:
                return dict(run)
            time.sleep(0.05)


@contextlib.contextmanager
def in_process(url: str, **settings: Any) -> Iterator[Api]:
    app = create_app(Settings(database_url=url, **settings))
    db = app.state.flok.db
    with TestClient(app) as client:
        yield Api(client, new_key(db), db)
    db.dispose()


@pytest.fixture
def api(sqlite_url: str) -> Iterator[Api]:
    """The app in-process on a fresh SQLite file, with one organization's key."""
    with in_process(sqlite_url) as a:
        yield a


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flok.db'}"
    return str(request.getfixturevalue("pg_url"))


@contextlib.contextmanager
def served(url: str, **settings: Any) -> Iterator[Api]:
    """A real uvicorn server in a thread on a free port, for genuinely concurrent requests."""
    app = create_app(Settings(database_url=url, **settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + LIMIT
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    db = app.state.flok.db
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=LIMIT, limits=httpx.Limits(max_connections=200)
    ) as client:
        yield Api(client, new_key(db), db)
    server.should_exit = True
    thread.join(LIMIT)
    db.dispose()


__all__ = ["Api", "in_process", "new_key", "seed_demo", "served"]
