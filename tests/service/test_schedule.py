"""Issue 17 item 10: periodic rebalance, on SQLite and PostgreSQL.

The schedule's clock is injected (``run_due(now=…)``) wherever the test is about time; the
end-to-end tests wait on conditions (a run done), never on fixed sleeps.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from flok.app.worker.ticker import next_due, run_due
from flok.pulse import PulseConfig
from flok.service.local import flok_subprocess
from flok.store import keys
from flok.store.db import Database
from flok.store.tables import runs as runs_table
from tests.service.conftest import LIMIT, Api, in_process
from tests.service.helpers import wait_for, worker_mark, workers_since

START = (datetime.now(UTC) + timedelta(days=3)).isoformat()
END = (datetime.now(UTC) + timedelta(days=3, hours=2)).isoformat()


def community(api: Api) -> None:
    """Two people who like chess, one chess evening with one seat: a rebalance suggests one seat."""
    r = api.post(
        "/opportunities",
        json={"opportunity_id": "chess", "capacity": 1, "tags": ["chess"], "start": START, "end": END},
    )
    assert r.status_code == 201, r.text
    for pid in ("ana", "ben"):
        r = api.post("/participants", json={"participant_id": pid, "interests": ["chess"]})
        assert r.status_code == 201, r.text


def schedule(api: Api, **body: Any) -> dict[str, Any]:
    r = api.put("/rebalance/schedule", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def rebalance_runs(*apis: Api) -> int:
    """Rebalance runs of these organizations (the PostgreSQL database is shared by the session)."""
    orgs = [_org_of(a) for a in apis]
    with apis[0].db.read() as conn:
        q = select(func.count()).where(runs_table.c.kind == "rebalance", runs_table.c.org_id.in_(orgs))
        return int(conn.execute(q).scalar_one())


def _runs_of(*apis: Api) -> set[int]:
    orgs = [_org_of(a) for a in apis]
    with apis[0].db.read() as conn:
        q = select(runs_table.c.id).where(runs_table.c.kind == "rebalance", runs_table.c.org_id.in_(orgs))
        return {int(r) for r in conn.execute(q).scalars()}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_schedule_is_off_until_set_and_then_due_at_once(db_url: str) -> None:
    with in_process(db_url, queue="thread", schedule_tick_seconds=3600) as api:
        got = api.get("/rebalance/schedule").json()
        assert got == {"enabled": False, "interval_minutes": 60, "next_due_at": None, "last_run": None}
        before = datetime.now(UTC)
        on = schedule(api, enabled=True, interval_minutes=15)
        assert on["enabled"] and on["interval_minutes"] == 15 and on["last_run"] is None
        assert before - timedelta(seconds=1) <= parse(on["next_due_at"]) <= datetime.now(UTC)
        off = schedule(api, enabled=False, interval_minutes=15)
        assert off["enabled"] is False and off["next_due_at"] is None
        # Off: never due, however late the clock.
        queued = run_due(api.db, PulseConfig(), lambda _r: None, now=datetime.now(UTC) + timedelta(days=400))
        assert queued == []


def test_injected_clock_queues_once_per_interval_and_skips_missed_slots(db_url: str) -> None:
    """With the in-process ticker effectively off (an hour), the test is the only ticker."""
    with in_process(db_url, queue="thread", schedule_tick_seconds=3600) as api:
        community(api)
        t0 = parse(schedule(api, enabled=True, interval_minutes=30)["next_due_at"])
        submitted: list[int] = []
        queue = api.client.app.state.flok.queue

        def submit(run_id: int) -> None:
            submitted.append(run_id)
            queue.submit(run_id)

        tick = lambda at: run_due(api.db, PulseConfig(), submit, now=at)  # noqa: E731
        first = tick(t0)
        assert len(first) == 1 and submitted == first
        assert api.wait_run(first[0])["status"] == "done"
        assert parse(api.get("/rebalance/schedule").json()["next_due_at"]) == t0 + timedelta(minutes=30)
        assert tick(t0 + timedelta(minutes=29, seconds=59)) == []  # not due yet
        second = tick(t0 + timedelta(minutes=30))
        assert len(second) == 1
        assert api.wait_run(second[0])["status"] == "done"
        # Five hours without a tick: one run, not ten, and the next one an interval from now.
        late = t0 + timedelta(hours=5, minutes=1)
        assert len(tick(late)) == 1
        assert parse(api.get("/rebalance/schedule").json()["next_due_at"]) == late + timedelta(minutes=30)
        assert len(submitted) == 3 and submitted[:2] == first + second


def test_next_due_by_hand() -> None:
    seen = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert next_due(seen, 60, seen + timedelta(minutes=5)) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    # Fell behind by more than an interval: an interval from now, not from the missed slot.
    assert next_due(seen, 60, seen + timedelta(minutes=61)) == datetime(2026, 11, 1, 14, 1, tzinfo=UTC)


def test_a_run_still_active_is_not_joined_by_another(db_url: str) -> None:
    with in_process(db_url, queue="thread", schedule_tick_seconds=3600) as api:
        community(api)
        t0 = parse(schedule(api, enabled=True, interval_minutes=10)["next_due_at"])
        held: list[int] = []  # never submitted: the run stays queued
        assert len(run_due(api.db, PulseConfig(), held.append, now=t0)) == 1
        assert run_due(api.db, PulseConfig(), held.append, now=t0 + timedelta(minutes=10)) == []
        assert rebalance_runs(api) == 1
        assert api.get("/rebalance/schedule").json()["last_run"]["status"] == "queued"


def test_many_tickers_at_once_queue_one_run(db_url: str) -> None:
    """Eight threads (separate connections: on PostgreSQL truly concurrent) tick the same due
    schedule at the same moment: the compare-and-set lets exactly one queue a run."""
    with in_process(db_url, queue="thread", schedule_tick_seconds=3600) as api:
        community(api)
        due_at = parse(schedule(api, enabled=True, interval_minutes=60)["next_due_at"])
        other = api.other_org()
        schedule(other, enabled=True, interval_minutes=60)
        barrier = threading.Barrier(8)
        results: list[list[int]] = []
        errors: list[BaseException] = []

        def tick() -> None:
            try:
                barrier.wait(LIMIT)
                results.append(
                    run_due(api.db, PulseConfig(), lambda _r: None, now=due_at + timedelta(seconds=5))
                )
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=tick) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(LIMIT)
        assert errors == []
        # Other tests' organizations may be due too on the shared PostgreSQL database.
        ours = _runs_of(api, other)
        queued = [r for batch in results for r in batch if r in ours]
        assert len(queued) == 2 == len(set(queued))  # one per organization, never two
        assert rebalance_runs(api, other) == 2


def test_ticker_runs_through_the_queue_and_the_api_shows_the_last_run(db_url: str) -> None:
    """End to end on the in-process queue: turn it on, the ticker queues, a thread executes."""
    with in_process(db_url, queue="thread", schedule_tick_seconds=0.2) as api:
        community(api)
        schedule(api, enabled=True, interval_minutes=60)

        def done() -> bool:
            last = api.get("/rebalance/schedule").json()["last_run"]
            return last is not None and last["status"] not in ("queued", "running")

        wait_for(done, "the scheduled rebalance to finish")
        got = api.get("/rebalance/schedule").json()
        last = got["last_run"]
        assert last["status"] == "done"
        assert last["suggested"] == 1  # one chess seat for two chess lovers
        run = api.get(f"/runs/{last['run_id']}").json()
        assert run["kind"] == "rebalance" and run["report"]["recommended"] == 1
        assert parse(got["next_due_at"]) > parse(last["created_at"]) + timedelta(minutes=59)
        # Another organization sees neither the schedule nor its run.
        other = api.other_org()
        assert other.get("/rebalance/schedule").json()["last_run"] is None
        assert other.get(f"/runs/{last['run_id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": True, "interval_minutes": 0}, "interval_minutes"),
        ({"enabled": True, "interval_minutes": 43201}, "interval_minutes"),
        ({"enabled": True, "interval_minutes": "soon"}, "interval_minutes"),
        ({"interval_minutes": 5}, "enabled"),
        ({"enabled": True, "every": 5}, "every"),
    ],
)
def test_bad_schedule_is_refused_as_json(api: Api, body: dict[str, Any], field: str) -> None:
    r = api.put("/rebalance/schedule", json=body)
    assert r.status_code == 422, r.text
    err = r.json()
    assert set(err) == {"code", "message", "field", "row"}
    assert err["code"] == "VALIDATION_ERROR" and err["field"].endswith(field) and err["row"] is None
    assert api.get("/rebalance/schedule").json()["enabled"] is False  # nothing stored


def test_schedule_needs_a_key(api: Api) -> None:
    r = api.client.get("/rebalance/schedule")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"


@pytest.mark.slow
def test_two_flok_workers_queue_the_schedule_once(pg_url: str) -> None:
    """PostgreSQL with procrastinate: the tick is a periodic task of each `flok worker`; two
    workers tick every second, and the schedule's due time is passed: one run, executed."""
    env = {"FLOK_DATABASE_URL": pg_url, "FLOK_SCHEDULE_TICK_SECONDS": "1"}
    db = Database(pg_url)
    db.migrate()
    mark = worker_mark(db)
    with (
        flok_subprocess("worker", "--name", "s1", env=env),
        flok_subprocess("worker", "--name", "s2", env=env),
        in_process(pg_url) as api,
    ):
        wait_for(lambda: workers_since(db, mark) >= 2, "both workers to start")
        community(api)
        schedule(api, enabled=True, interval_minutes=60)

        def done() -> bool:
            last = api.get("/rebalance/schedule").json()["last_run"]
            return last is not None and last["status"] == "done"

        wait_for(done, "the scheduled rebalance to run on a worker")
        assert rebalance_runs(api) == 1
        assert api.get("/rebalance/schedule").json()["last_run"]["suggested"] == 1
    db.dispose()


def _org_of(api: Api) -> int:
    with api.db.read() as conn:
        org = keys.org_for_key(conn, api.key)
    assert org is not None
    return org
