"""The in-process run queue (``FLOK_QUEUE=thread``) on a PostgreSQL other servers share: at start
and then periodically it fails only runs whose heartbeat went silent (their process died),
never the live runs of another server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from flok.store import keys, runs
from flok.store.db import Database
from flok.store.tables import runs as runs_table
from flok.store.types import utcnow
from tests.service.conftest import in_process
from tests.service.helpers import wait_for


def _silence(db: Database, run_id: int) -> None:
    """The run's heartbeat stopped five minutes ago (its process died)."""
    with db.write() as conn:
        conn.execute(
            update(runs_table)
            .where(runs_table.c.id == run_id)
            .values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )


def _status(db: Database, run_id: int) -> str:
    with db.read() as conn:
        run = runs.load(conn, run_id)
    assert run is not None
    return run.status


@pytest.mark.postgres
def test_thread_queue_on_shared_postgresql_fails_only_dead_processes_runs(pg_url: str) -> None:
    db = Database(pg_url)
    db.migrate()
    with db.write() as conn:
        org = keys.ensure_org(conn, f"shared-{uuid.uuid4().hex[:8]}")
        live = runs.create(conn, org, "rebalance", {})
        assert runs.claim(conn, live, "other-server")  # another server executes it right now
        dead = runs.create(conn, org, "rebalance", {})
        assert runs.claim(conn, dead, "dead-server")
    _silence(db, dead)
    with in_process(pg_url, queue="thread", sweep_seconds=1):
        assert _status(db, dead) == "failed"  # silent for longer than FLOK_STALE_RUN_SECONDS
        assert _status(db, live) == "running"  # the other server's run is left alone
        _silence(db, live)  # the other server dies while this one runs: the periodic sweep fails it
        wait_for(lambda: _status(db, live) == "failed", "the sweep to fail the silent run")
    with db.read() as conn:
        error = runs.get(conn, org, live).error
    assert error is not None and error["code"] == "INTERRUPTED"
    db.dispose()
