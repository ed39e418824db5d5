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
