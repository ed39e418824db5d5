"""No lost updates and no over-filling under truly concurrent requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.service.conftest import served


@pytest.mark.slow
def test_concurrent_feedback_and_rsvps(db_url: str) -> None:
    with served(db_url) as api:
        assert api.post("/opportunities", json={"opportunity_id": "hot", "capacity": 10}).status_code == 201
        for i in range(200):
            assert api.post("/participants", json={"participant_id": f"p{i}"}).status_code == 201

        def post(i: int) -> float:
            r = api.post(
                "/feedback",
                json={
                    "event_id": f"e{i}",
                    "participant_id": f"p{i}",
                    "opportunity_id": "hot",
                    "action": "accepted",
                    "at": "2026-11-23T10:00:00Z",
                },
            )
            assert r.status_code == 200, r.text
            return float(r.json()["demand"])

        with ThreadPoolExecutor(50) as pool:
            demands = list(pool.map(post, range(200)))
        assert sorted(demands) == [float(i) for i in range(1, 201)]  # every update saw the one before
        assert api.get("/opportunities/hot").json()["demand"] == 200.0
        post(7)  # the same event id again counts once
        assert api.get("/opportunities/hot").json()["demand"] == 200.0

        def rsvp(i: int) -> tuple[int, str | None]:
            r = api.post("/opportunities/hot/rsvp", json={"participant_id": f"p{i}"})
            return r.status_code, r.json().get("code")

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(rsvp, range(100)))
        assert sum(1 for status, _ in answers if status == 201) == 10
        assert sorted(a for a in answers if a[0] != 201) == [(409, "FULL")] * 90
        body = api.get("/opportunities/hot").json()
        assert body["confirmed"] == 10 and body["seats_left"] == 0
