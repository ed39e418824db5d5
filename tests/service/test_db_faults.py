"""The database fails under the service: killed connections and a database that refuses
connections (PostgreSQL, through an admin connection), a read-only file (SQLite).

Requests answer 503 with a stable code while the database cannot serve them and work again
once it can; workers retry, exit non-zero when they lose the database, and runs stranded by a
failed job are swept, so no campaign is stuck at RUN_ACTIVE.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from flok.cli.app import EXIT_UNAVAILABLE
from flok.service.local import flok_subprocess
from flok.store.db import Database
from tests.service.conftest import Api, _admin_connect, in_process, served
from tests.service.helpers import (
    CSV,
    LIMIT,
    OPPS,
    REGS,
    campaign,
    seats,
    wait_for,
    worker_mark,
    workers_since,
)


# --- PostgreSQL: an admin kills connections, or closes the database to new ones ------------
def _database(pg_url: str) -> str:
    name = make_url(pg_url).database
    assert name
    return name


def terminate_backends(pg_url: str) -> int:
    """``pg_terminate_backend`` on every connection to the test database (pools, listeners)."""
    admin, _ = _admin_connect()
    with admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [_database(pg_url)],
        ).fetchone()
    return int(killed[0]) if killed else 0


@contextlib.contextmanager
def database_down(pg_url: str) -> Iterator[None]:
    """The database refuses new connections and loses its current ones (as during a restart)."""
    name = _database(pg_url)
    admin, _ = _admin_connect()
    with admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            terminate_backends(pg_url)
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


class Kinds:
    """One request of each kind the audit saw fail after killed connections."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.n = 0
        assert api.post("/opportunities", json={"opportunity_id": "hot", "capacity": 50}).status_code == 201
        for i in range(1, 11):  # who gives feedback and RSVPs: the n-th call, the n-th of them
            assert api.post("/participants", json={"participant_id": f"r{i}"}).status_code == 201

    def each(self) -> dict[str, httpx.Response]:
        self.n += 1
        pid = f"r{self.n}"
        api = self.api
        out = {"participant": api.post("/participants", json={"participant_id": f"new-{self.n}"})}
        event = {
            "event_id": f"e-{uuid.uuid4().hex}",
            "participant_id": pid,
            "opportunity_id": "hot",
            "action": "accepted",
            "at": "2026-11-23T10:00:00Z",
        }
        out["feedback"] = api.post("/feedback", json=event)
        out["rsvp"] = api.post("/opportunities/hot/rsvp", json={"participant_id": pid})
        out["list"] = api.get("/opportunities")
        out["campaigns"] = api.get("/campaigns")
        return out


def assert_all_ok(answers: dict[str, httpx.Response]) -> None:
    bad = {k: (r.status_code, r.text[:200]) for k, r in answers.items() if r.status_code >= 300}
    assert bad == {}


@pytest.mark.postgres
def test_requests_survive_killed_connections_and_answer_503_while_the_database_is_down(
    pg_url: str,
) -> None:
    with served(pg_url) as api:
        kinds = Kinds(api)
        assert_all_ok(kinds.each())  # every pool and the feedback connection are warm
        assert terminate_backends(pg_url) > 0
        assert_all_ok(kinds.each())  # the first request of each kind after the kill works

        with database_down(pg_url):
            answers = kinds.each()
            for kind, r in answers.items():
                assert r.status_code == 503, (kind, r.status_code, r.text)
                body = r.json()
                assert body["code"] == "DATABASE_UNAVAILABLE", (kind, body)
                assert "unreachable" in body["message"] and "psycopg" not in body["message"]
                assert r.headers.get("retry-after") == "5"

        assert_all_ok(kinds.each())  # and it serves again once the database is back
        confirmed = api.get("/opportunities/hot").json()["confirmed"]
        assert confirmed == kinds.n - 1  # every answered RSVP but the refused one


@pytest.mark.slow
@pytest.mark.postgres
def test_worker_survives_killed_connections_and_exits_nonzero_when_the_database_goes(
    pg_url: str,
) -> None:
    db = Database(pg_url)
    db.migrate()
    mark = worker_mark(db)
    with in_process(pg_url) as api:
        cid = campaign(api, OPPS, REGS)
        with flok_subprocess("worker", env={"FLOK_DATABASE_URL": pg_url}) as worker:
            wait_for(lambda: workers_since(db, mark) >= 1, "the worker to start")
            first = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
            assert api.wait_run(first)["status"] == "done"  # its pool is warm

            assert terminate_backends(pg_url) > 0
            r = api.post(f"/campaigns/{cid}/allocate")  # accepted right after the kill …
            assert r.status_code == 202, r.text
            run = api.wait_run(r.json()["run_id"])  # … and it runs
            assert run["status"] == "done", run

            with database_down(pg_url):
                wait_for(lambda: worker.poll() is not None, "the worker to exit")
            assert worker.returncode == EXIT_UNAVAILABLE  # never 0: a supervisor restarts it
        assert api.get(f"/campaigns/{cid}").json()["allocation_run_id"] == run["id"]
    db.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_a_queued_run_whose_job_failed_is_swept_and_the_campaign_allocates_again(pg_url: str) -> None:
    db = Database(pg_url)
    db.migrate()
    with in_process(pg_url) as api:
        cid = campaign(api, OPPS, REGS)
        stranded = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
        with db.write() as conn:  # its job failed for good (e.g. on a dead connection, retries spent)
            conn.execute(
                text("UPDATE procrastinate_jobs SET status = 'failed' WHERE (args->>'run_id')::int = :r"),
                {"r": stranded},
            )
        assert api.post(f"/campaigns/{cid}/allocate").json()["code"] == "RUN_ACTIVE"
        sweeper = {"FLOK_DATABASE_URL": pg_url, "FLOK_STALE_RUN_SECONDS": "1", "FLOK_SWEEP_SECONDS": "1"}
        with flok_subprocess("worker", env=sweeper):
            wait_for(
                lambda: api.get(f"/runs/{stranded}").json()["status"] == "failed", "the sweep to fail it"
            )
            assert api.get(f"/runs/{stranded}").json()["error"]["code"] == "INTERRUPTED"
            r = api.post(f"/campaigns/{cid}/allocate")
            assert r.status_code == 202, r.text
            assert api.wait_run(r.json()["run_id"])["status"] == "done"
        assert set(seats(api, cid)) == {"x", "y", "z"}
    db.dispose()


@pytest.mark.postgres
def test_worker_stops_with_exit_0_when_asked(pg_url: str) -> None:
    db = Database(pg_url)
    db.migrate()
    mark = worker_mark(db)
    with flok_subprocess("worker", env={"FLOK_DATABASE_URL": pg_url}) as worker:
        wait_for(lambda: workers_since(db, mark) >= 1 or worker.poll() is not None, "the worker to start")
        worker.terminate()
        worker.wait(LIMIT)
        assert worker.returncode == 0
    db.dispose()


# --- SQLite: the file turns read-only ----------------------------------------------------------
@contextlib.contextmanager
def read_only(path: Path) -> Iterator[bool]:
    """Make the database file read-only; yields whether that took.

    chmod does not stop root; there, the file is made immutable (``chattr +i``) when the
    filesystem allows it (the same "attempt to write a readonly database" for SQLite).
    """
    mode = path.stat().st_mode
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    immutable = False
    if os.access(path, os.W_OK) and shutil.which("chattr"):
        immutable = (
            subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
        )
    try:
        yield not os.access(path, os.W_OK)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


def test_read_only_sqlite_answers_503_storage_unavailable_and_logs_once(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with served(sqlite_url) as api:
        kinds = Kinds(api)
        assert_all_ok(kinds.each())
        path = api.db.sqlite_file
        assert path is not None
        with read_only(path) as took:
            if not took:
                pytest.skip("cannot make the file read-only for this user (root, and no chattr +i)")
            # Connections opened before the change keep their write access (as until a restart).
            api.db.engine.dispose()
            with caplog.at_level(logging.ERROR, logger="flok.store"):
                first, second = kinds.each(), kinds.each()
            for answers in (first, second):
                for kind in ("participant", "feedback", "rsvp"):
                    r = answers[kind]
                    assert r.status_code == 503, (kind, r.status_code, r.text)
                    assert r.json()["code"] == "STORAGE_UNAVAILABLE"
                    assert "read-only" in r.json()["message"], r.text
                for kind in ("list", "campaigns"):  # reading still works
                    assert answers[kind].status_code == 200, answers[kind].text
            logged = [r for r in caplog.records if r.name == "flok.store" and "read-only" in r.getMessage()]
            assert len(logged) == 1, [r.getMessage() for r in logged]  # once, not per request
        api.db.engine.dispose()
        assert_all_ok(kinds.each())  # writable again: the service writes again
        # Nothing from the refused requests: 10 + the 2 accepted creations, 2 RSVPs confirmed.
        assert len(api.get("/participants").json()) == 12
        assert api.get("/opportunities/hot").json()["confirmed"] == 2


def test_full_sqlite_disk_answers_503_storage_unavailable(sqlite_url: str) -> None:
    """SQLite's own "database or disk is full" (its page limit stands in for a full disk)."""
    with in_process(sqlite_url) as api:
        cid = api.post("/campaigns", json={"name": "big"}).json()["id"]
        with api.db.read() as conn:
            pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())

        def cap(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(api.db.engine, "connect", cap)
        api.db.engine.dispose()
        rows = "".join(f"o{i:05d},3,{'long title ' * 8}{i}\n" for i in range(3000))
        r = api.post(
            f"/campaigns/{cid}/opportunities",
            content=("opportunity_id,capacity,title\n" + rows).encode(),
            headers=CSV,
        )
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "STORAGE_UNAVAILABLE" and "disk" in r.json()["message"]
        event.remove(api.db.engine, "connect", cap)
        api.db.engine.dispose()
        assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0  # nothing stored


# --- Every connection of the process's pool is in use -------------------------------------------
def test_a_server_whose_connections_are_all_in_use_answers_503_database_busy(db_url: str) -> None:
    """A request that finds every pooled connection taken waits ``db_pool_timeout``, then is
    refused with 503 and Retry-After, not a 500 (nor a connection the database refuses)."""
    with served(db_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.5) as api:
        kinds = Kinds(api)
        assert_all_ok(kinds.each())
        with api.db.engine.connect():  # the pool's only connection, taken by someone else
            answers = kinds.each()
            for kind in ("participant", "rsvp", "list", "campaigns"):
                r = answers[kind]
                assert r.status_code == 503, (kind, r.status_code, r.text)
                assert r.json()["code"] == "DATABASE_BUSY", r.text
                assert "FLOK_DB_POOL_SIZE" in r.json()["message"], r.text
                assert r.headers.get("retry-after") == "5"
        assert_all_ok(kinds.each())  # free again: served again
