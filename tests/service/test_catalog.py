"""The per-process opportunity catalog cache never serves a stale catalog, whoever writes.

Oracle: ``snapshot`` without a cache (everything read fresh). After any sequence of writes,
a cached snapshot must equal it; and a second server process (its own cache) must see every
change made through the first.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flok.app.market import Catalogs, Snapshot, snapshot
from flok.pulse import PulseConfig
from flok.store import community, keys
from flok.store.db import Database
from flok.store.errors import Conflict
from flok.store.feedback import FeedbackEvent, record_feedback
from tests.service.conftest import Api, in_process

CONFIG = PulseConfig()
AT = datetime(2030, 1, 1, tzinfo=UTC).timestamp()


def same(a: Snapshot, b: Snapshot) -> None:
    assert [r.id for r in a.rows] == [r.id for r in b.rows]
    assert [(r.opportunity_id, r.title) for r in a.rows] == [(r.opportunity_id, r.title) for r in b.rows]
    for name in ("ids", "capacity", "start", "end", "lat", "lon"):
        np.testing.assert_array_equal(getattr(a.opportunities, name), getattr(b.opportunities, name))
    assert a.opportunities.tags.to_pylist() == b.opportunities.tags.to_pylist()
    for name in ("demand", "pulse", "capacity", "confirmed", "attending_opportunity"):
        np.testing.assert_array_equal(getattr(a.market, name), getattr(b.market, name))
    assert list(a.market.attending_participant) == list(b.market.attending_participant)


ops = st.lists(
    st.tuples(
        st.sampled_from(["create", "patch", "delete", "feedback", "rsvp"]),
        st.sampled_from(["a", "b", "c"]),
        st.integers(1, 4),
    ),
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_cached_snapshot_equals_a_fresh_one_after_any_writes(sqlite_url: str, steps: list[Any]) -> None:
    db = Database(sqlite_url)
    db.migrate()
    cache = Catalogs()
    with db.write() as conn:
        org = keys.ensure_org(conn, f"cat-{uuid.uuid4().hex}")
        community.create_participant(conn, org, {"participant_id": "p", "interests": [], "availability": []})
    for n, (op, oid, k) in enumerate(steps):
        with db.write() as conn:
            exists = any(r.opportunity_id == oid for r in community.list_opportunities(conn, org))
            if op == "create" and not exists:
                community.create_opportunity(
                    conn, org, {"opportunity_id": oid, "capacity": k, "tags": [f"t{k}"], "title": f"T{k}"}
                )
            elif op == "patch" and exists:
                community.patch_opportunity(
                    conn, org, oid, {"title": f"new {k}", "tags": [f"u{k}"], "capacity": 5 + k}
                )
            elif op == "delete" and exists:
                with contextlib.suppress(Conflict):  # it holds a confirmed seat: refused, unchanged
                    community.delete_opportunity(conn, org, oid)
            elif op == "feedback" and exists:
                record_feedback(
                    conn, [FeedbackEvent(org, f"e{n}", "p", oid, "accepted", datetime.now(UTC))], CONFIG
                )
            elif op == "rsvp" and exists:
                with contextlib.suppress(Conflict):  # full
                    community.rsvp(conn, org, oid, "p")
        with db.read() as conn:
            same(snapshot(conn, org, CONFIG, AT, catalogs=cache), snapshot(conn, org, CONFIG, AT))
            only_p = snapshot(conn, org, CONFIG, AT, catalogs=cache, participant_id="p")
            assert set(only_p.market.attending_participant) <= {"p"}
    db.dispose()


def test_a_second_process_sees_every_catalog_change(db_url: str) -> None:
    with in_process(db_url) as first, in_process(db_url) as other:
        second = Api(other.client, first.key, other.db)  # another process, same organization
        assert (
            first.post("/participants", json={"participant_id": "ana", "interests": ["chess"]}).status_code
            == 201
        )
        first.post(
            "/opportunities",
            json={"opportunity_id": "club", "capacity": 2, "title": "Club", "tags": ["chess"]},
        )
        feed = second.get("/participants/ana/feed").json()["items"]
        assert [(i["opportunity_id"], i["title"]) for i in feed] == [("club", "Club")]
        first.patch("/opportunities/club", json={"title": "Chess club", "tags": ["go"]})
        item = second.get("/participants/ana/feed").json()["items"][0]
        assert item["title"] == "Chess club" and item["reasons"][0] == "no shared interests"
        first.post("/opportunities", json={"opportunity_id": "choir", "capacity": 1, "tags": ["chess"]})
        assert {t["opportunity_id"] for t in second.get("/trending").json()} == {"club", "choir"}
        assert first.post("/opportunities/choir/rsvp", json={"participant_id": "ana"}).status_code == 201
        trend = {t["opportunity_id"]: t for t in second.get("/trending").json()}
        assert trend["choir"]["seats_left"] == 0  # seats are never cached
        codes = {
            i["opportunity_id"]: i["codes"] for i in second.get("/participants/ana/feed").json()["items"]
        }
        assert codes["choir"] == ["ALREADY_ATTENDING"]
        first.delete("/opportunities/club")
        assert [t["opportunity_id"] for t in second.get("/trending").json()] == ["choir"]
        assert second.get("/metrics").json()["opportunities"] == 1
