"""Small builders shared by the service tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from flok.app.worker.pg_queue import ensure_schema
from flok.store.db import Database
from tests.service.conftest import LIMIT, Api

CSV = {"content-type": "text/csv"}


def wait_for(condition: Callable[[], bool], what: str, limit: float = LIMIT) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting ({limit:g} s) for {what}"
        time.sleep(0.1)


def campaign(api: Api, opportunities: str, registrations: str, **options: Any) -> int:
    """A closed campaign from CSV texts, ready to allocate."""
    r = api.post("/campaigns", json={"name": "c", "options": options})
    assert r.status_code == 201, r.text
    cid = int(r.json()["id"])
    r = api.post(f"/campaigns/{cid}/opportunities", content=opportunities.encode(), headers=CSV)
    assert r.status_code == 201, r.text
    r = api.post(f"/campaigns/{cid}/registrations", content=registrations.encode(), headers=CSV)
    assert r.status_code == 201, r.text
    assert api.post(f"/campaigns/{cid}/open").status_code == 200
    assert api.post(f"/campaigns/{cid}/close").status_code == 200
    return cid


def allocate(api: Api, cid: int) -> dict[str, Any]:
    r = api.post(f"/campaigns/{cid}/allocate")
    assert r.status_code == 202, r.text
    return api.wait_run(r.json()["run_id"])


def seats(api: Api, cid: int) -> dict[str, str | None]:
    rows = api.get(f"/campaigns/{cid}/allocation").json()["assignments"]
    return {r["participant_id"]: r["opportunity_id"] for r in rows}


OPPS = "opportunity_id,capacity,title\nA,1,Algebra\nB,1,Biology\nC,2,Chemistry\n"
REGS = "participant_id,opportunity_id,rank\nx,A,1\nx,B,2\ny,A,1\ny,C,2\nz,B,1\nz,A,2\n"


def worker_mark(db: Database) -> int:
    """The newest `flok worker` registration so far (PostgreSQL; installs the queue's tables):
    workers started later register with larger ids, while killed ones leave stale rows behind."""
    ensure_schema(db)
    with db.read() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM procrastinate_workers")).scalar_one())


def workers_since(db: Database, mark: int) -> int:
    """How many workers registered after ``worker_mark`` gave ``mark``."""
    with db.read() as conn:
        q = text("SELECT count(*) FROM procrastinate_workers WHERE id > :mark")
        return int(conn.execute(q, {"mark": mark}).scalar_one())
