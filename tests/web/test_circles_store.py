"""Circle formations are stored in the database: they survive a restart, every server process
sees the same one, and a failed replacement keeps the previous one."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import IntegrityError

from flok.app import circles as circles_store
from flok.circles import CircleOptions, form
from flok.store import keys
from flok.store.db import Database
from tests.service.conftest import db_url, pg_url  # noqa: F401  (fixtures)


def test_a_formation_is_persisted_whole(db_url: str) -> None:  # noqa: F811
    db = Database(db_url)
    db.migrate()
    with db.write() as conn:
        org, other = keys.ensure_org(conn, "circles-a"), keys.ensure_org(conn, "circles-b")
    assert circles_store.get(db, org) is None
    people, existing = circles_store.sample_tables()
    result = form(
        people, existing, CircleOptions(attributes=circles_store.SAMPLE_ATTRIBUTES, time_limit=20.0)
    )
    made = circles_store.put(db, org, result, "sample")

    restarted = Database(db_url)  # another process, or the same one after a restart
    read = circles_store.get(restarted, org)
    assert read is not None and read.source == "sample"
    assert json.dumps(read.view, sort_keys=True) == json.dumps(
        json.loads(json.dumps(made.view)), sort_keys=True
    )
    assert read.csv == made.csv and read.csv["circles"].startswith("circle_id,region")
    placed = sum(len(cs) for cs in read.view["regions"].values())
    assert placed == len(result.circles) and len(read.view["unmatched"]) == len(result.unmatched)
    assert circles_store.get(restarted, other) is None  # scoped to its organization

    with pytest.raises(IntegrityError):  # a failed replacement (NOT NULL) keeps the stored one
        circles_store.put(db, org, result, None)  # type: ignore[arg-type]
    kept = circles_store.get(restarted, org)
    assert kept is not None and kept.source == "sample"
    restarted.dispose()
    db.dispose()


def test_reports_with_nan_are_stored_as_null() -> None:
    raw = {"match_rate": float("nan"), "sizes": [1.0, float("inf")], "name": "x"}
    assert circles_store._json_safe(raw) == {"match_rate": None, "sizes": [1.0, None], "name": "x"}
