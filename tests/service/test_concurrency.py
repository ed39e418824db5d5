"""No lost updates and no over-filling under truly concurrent requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from flok.app.worker import execute
from flok.app.worker.execute import execute_run
from flok.service.local import flok_subprocess, free_port, wait_healthy
from flok.store import community, keys, runs
from flok.store.db import Database
from tests.service.conftest import LIMIT, in_process, served


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
        metrics = api.get("/metrics").json()  # every attempt recorded with its outcome
        assert (metrics["rsvp_attempts"], metrics["rsvp_refused"]) == (100, 90)
        assert metrics["oversubscription_rate"] == 0.9


@pytest.mark.slow
@pytest.mark.postgres
def test_feedback_through_two_server_processes_counts_every_event_once(pg_url: str) -> None:
    """Group commit across processes: each batches its own requests; row locks keep them exact."""
    db = Database(pg_url)
    db.migrate()
    with db.write() as conn:
        org = keys.ensure_org(conn, f"two-servers-{uuid.uuid4().hex[:8]}")
        key = keys.create_key(conn, org)
        for o in range(5):
            community.create_opportunity(conn, org, {"opportunity_id": f"o{o}", "capacity": 3, "tags": []})
        for p in range(50):
            community.create_participant(
                conn, org, {"participant_id": f"p{p}", "interests": [], "availability": []}
            )
    db.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"FLOK_DATABASE_URL": pg_url}
    with flok_subprocess("serve", "--port", str(port), "--workers", "2", env=env):
        wait_healthy(base, LIMIT)
        with httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {key}"},
            timeout=LIMIT,
            limits=httpx.Limits(max_connections=64),
        ) as client:

            def post(i: int) -> tuple[int, bool]:
                r = client.post(
                    "/feedback",
                    json={
                        "event_id": f"e{i % 300}",  # events 300–399 repeat 0–99
                        "participant_id": f"p{i % 50}",
                        "opportunity_id": f"o{i % 5}",
                        "action": "accepted",
                        "at": "2026-11-23T10:00:00Z",
                    },
                )
                return r.status_code, bool(r.status_code == 200 and r.json()["duplicate"])

            with ThreadPoolExecutor(64) as pool:
                answers = list(pool.map(post, range(400)))
            assert [status for status, _ in answers] == [200] * 400  # no deadlock, no lost batch
            assert sum(dup for _, dup in answers) == 100
            demands = {o["opportunity_id"]: o["demand"] for o in client.get("/opportunities").json()}
            assert demands == {f"o{o}": 60.0 for o in range(5)}  # 300 distinct events, 60 each
            assert client.get("/metrics").json()["feedback_events"] == 300


def test_concurrent_rebalances_of_one_organization_all_finish(db_url: str) -> None:
    """Six rebalances at once: each replaces the organization's suggestions whole, one after
    another (no unique-key violation), and the last one's suggestions are the ones kept."""
    with served(db_url, queue="thread", run_threads=6) as api:
        for o in range(20):
            r = api.post("/opportunities", json={"opportunity_id": f"o{o}", "capacity": 3, "tags": ["t"]})
            assert r.status_code == 201, r.text
        for p in range(60):
            r = api.post("/participants", json={"participant_id": f"p{p}", "interests": ["t"]})
            assert r.status_code == 201, r.text
        for attempt in range(3):  # the race needs the runs' writes to overlap; give it a few chances
            with ThreadPoolExecutor(6) as pool:
                started = list(pool.map(lambda _: api.post("/rebalance", json={"top_k": 5}), range(6)))
            assert [r.status_code for r in started] == [202] * 6, [r.text for r in started]
            runs = [api.wait_run(r.json()["run_id"]) for r in started]
            assert [run["status"] for run in runs] == ["done"] * 6, (attempt, runs)


def test_a_run_that_failed_internally_shows_no_database_text(db_url: str) -> None:
    """A crash's exception text (SQL, parameters, the database's own message) stays in the log."""
    with in_process(db_url, queue="thread") as api:
        with api.db.write() as conn:
            org = keys.org_for_key(conn, api.key)
            assert org is not None
            run_id = runs.create(conn, org, "rebalance", {})
            runs.finish(
                conn,
                run_id,
                "failed",
                error={
                    "code": "INTERNAL",
                    "message": "IntegrityError('duplicate key value violates unique constraint "
                    '"uq_suggestions"\\n[SQL: INSERT INTO suggestions ...]\')',
                    "field": None,
                },
            )
        for shown in (api.get(f"/runs/{run_id}").json(), api.get("/runs").json()[0]):
            assert shown["error"]["code"] == "INTERNAL", shown
            text = str(shown)
            assert "SQL" not in text and "duplicate key" not in text and "suggestions" not in text, shown


def test_a_run_that_crashes_stores_a_generic_message_and_logs_the_exception(
    db_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception (a defect) fails the run with INTERNAL and a generic message in
    the database itself, not only in the API's view of it; the exception goes to the log."""

    def crash(*args: object) -> None:
        raise TypeError("no_such_option_xyz")  # a defect inside the run, with text to keep out

    monkeypatch.setitem(execute.HANDLERS, "rebalance", crash)
    with in_process(db_url, queue="thread") as api:
        with api.db.write() as conn:
            org = keys.org_for_key(conn, api.key)
            assert org is not None
            run_id = runs.create(conn, org, "rebalance", {})
        with caplog.at_level(logging.ERROR, logger="flok.runs"):
            assert execute_run(api.db, run_id, worker="test") == "failed"
        with api.db.read() as conn:
            stored = runs.load(conn, run_id)
        assert stored is not None and stored.error is not None
        assert stored.error["code"] == "INTERNAL"
        assert "no_such_option_xyz" not in str(stored.error) and "TypeError" not in str(stored.error)
        assert "no_such_option_xyz" not in (stored.message or "")
        assert any("no_such_option_xyz" in str(r.exc_info) for r in caplog.records if r.exc_info)
