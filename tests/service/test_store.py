"""The schema: migrations build exactly the tables the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from flok.store.db import Database
from flok.store.tables import metadata
from tests.service.conftest import in_process
from tests.service.helpers import CSV


def test_migrations_match_the_tables(db_url: str) -> None:
    db = Database(db_url)
    db.migrate()
    db.migrate()  # a second start is a no-op
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    db.dispose()
    assert [d for d in diff if "procrastinate" not in str(d)] == []


def test_unstorable_text_is_a_4xx_and_writes_nothing(db_url: str) -> None:
    with in_process(db_url, queue="thread") as api:
        cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
        r = api.post(
            f"/campaigns/{cid}/opportunities", content=b"opportunity_id,capacity\nA\x00B,1\n", headers=CSV
        )
        assert r.status_code == 422, r.text
        assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0


def test_only_silent_runs_are_failed_by_a_starting_worker(db_url: str) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from flok.store import keys, runs
    from flok.store.tables import runs as runs_table
    from flok.store.types import utcnow

    db = Database(db_url)
    db.migrate()
    with db.write() as conn:
        org = keys.ensure_org(conn, f"stale-{id(conn)}")
        alive, dead = runs.create(conn, org, "rebalance", {}), runs.create(conn, org, "rebalance", {})
        assert runs.claim(conn, alive, "w1") and runs.claim(conn, dead, "w2")
        assert not runs.claim(conn, dead, "w3")  # a run is claimed once
        old = utcnow() - timedelta(minutes=10)
        conn.execute(update(runs_table).where(runs_table.c.id == dead).values(heartbeat_at=old))
        assert runs.fail_interrupted(conn, silent_for=timedelta(minutes=2)) == [dead]
        assert runs.get(conn, org, alive).status == "running"
        failed = runs.get(conn, org, dead).error
        assert failed is not None and failed["code"] == "INTERRUPTED"
    db.dispose()
