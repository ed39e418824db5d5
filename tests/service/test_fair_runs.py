"""Issue 14 item 10: run slots are shared fairly between organizations. Organization A queues
two long runs, organization B a tiny one, with two slots: B's run starts before A's second run
(A holds at most all slots but one), on the in-process queue (SQLite) and on `flok worker`s
(PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from flok.app.worker import execute
from flok.app.worker.fair import may_start, next_run, per_org_cap
from flok.service.local import flok_subprocess
from flok.store import keys
from flok.store import runs as runs_repo
from flok.store.db import Database
from flok.store.rows import RunRow, WaitingRun
from tests.service.conftest import LIMIT, Api, in_process
from tests.service.helpers import OPPS, REGS, campaign, wait_for, worker_mark, workers_since


def _org(api: Api) -> int:
    with api.db.read() as conn:
        org = keys.org_for_key(conn, api.key)
    assert org is not None
    return org


def _run(db: Database, run_id: int) -> RunRow:
    with db.read() as conn:
        run = runs_repo.load(conn, run_id)
    assert run is not None
    return run


def _allocate(api: Api, cid: int) -> int:
    r = api.post(f"/campaigns/{cid}/allocate")
    assert r.status_code == 202, r.text
    return int(r.json()["run_id"])


def test_thread_queue_gives_a_free_slot_to_the_organization_with_fewer_runs(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = execute.HANDLERS["allocate"]
    slow_org: list[int] = []

    def slow(db: Database, run: RunRow, progress: Any) -> None:
        if run.org_id in slow_org:  # organization A's long CP-SAT runs, held until released
            assert release.wait(LIMIT)
        real(db, run, progress)

    monkeypatch.setitem(execute.HANDLERS, "allocate", slow)
    with in_process(sqlite_url, run_threads=2) as a:
        b = a.other_org()
        slow_org.append(_org(a))
        a_campaigns = [campaign(a, OPPS, REGS), campaign(a, OPPS, REGS)]
        b_campaign = campaign(b, OPPS, REGS)
        try:
            a1 = _allocate(a, a_campaigns[0])
            wait_for(lambda: _run(a.db, a1).status == "running", "A's first run to start")
            a2 = _allocate(a, a_campaigns[1])
            b1 = _allocate(b, b_campaign)
            wait_for(
                lambda: _run(a.db, b1).status == "done" or _run(a.db, a2).status != "queued",
                "B's run to finish or A's second run to start",
            )
            assert _run(a.db, a2).status == "queued"  # A's second run leaves the free slot to B
            assert _run(a.db, b1).status == "done"
        finally:
            release.set()
        assert a.wait_run(a1)["status"] == "done"
        assert a.wait_run(a2)["status"] == "done"  # and runs once A's first one is done
        started = {r: _run(a.db, r).started_at for r in (a1, a2, b1)}
        assert started[a1] < started[b1] < started[a2]  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_give_the_second_one_to_the_organization_with_fewer_runs(pg_url: str) -> None:
    # Every run waits 20 s before it solves (FLOK_RUN_DELAY_SECONDS), so A's runs are long.
    env = {"FLOK_DATABASE_URL": pg_url, "FLOK_RUN_DELAY_SECONDS": "20"}
    db = Database(pg_url)
    db.migrate()
    mark = worker_mark(db)
    with (
        flok_subprocess("worker", "--name", "fair1", env=env),
        flok_subprocess("worker", "--name", "fair2", env=env),
        in_process(pg_url) as a,
    ):
        wait_for(lambda: workers_since(db, mark) >= 2, "both workers to start")
        b = a.other_org()
        a_campaigns = [campaign(a, OPPS, REGS), campaign(a, OPPS, REGS)]
        b_campaign = campaign(b, OPPS, REGS)
        a1 = _allocate(a, a_campaigns[0])
        wait_for(lambda: _run(db, a1).status == "running", "A's first run to start")
        a2 = _allocate(a, a_campaigns[1])
        b1 = _allocate(b, b_campaign)
        wait_for(
            lambda: _run(db, b1).status != "queued" or _run(db, a2).status != "queued",
            "B's run or A's second run to start",
        )
        assert _run(db, b1).status != "queued"  # the free worker took B's run
        assert _run(db, a2).status == "queued"  # A's second run waits for A's first
        assert a.wait_run(a1)["status"] == "done"
        assert b.wait_run(b1)["status"] == "done"
        assert a.wait_run(a2)["status"] == "done"
        started = {r: _run(db, r).started_at for r in (a1, a2, b1)}
        assert started[a1] < started[b1] < started[a2]  # type: ignore[operator]
    db.dispose()


def _waiting(run_id: int, org: int, running: int) -> WaitingRun:
    created = datetime(2025, 1, 1, 0, 0, run_id)
    return WaitingRun(id=run_id, org_id=org, created_at=created, org_running=running)


def test_fair_order_rules() -> None:
    assert per_org_cap(None, 2) == 1 and per_org_cap(None, 1) == 1 and per_org_cap(None, 4) == 3
    assert per_org_cap(5, 2) == 5  # the setting wins
    # A has one run running, B none: B's later run goes first.
    queue = [_waiting(1, org=1, running=1), _waiting(2, org=2, running=0)]
    pick = next_run(queue, cap=3)
    assert pick is not None and pick.id == 2
    assert not may_start(1, queue, cap=3) and may_start(2, queue, cap=3)
    # Equal running counts: the oldest queued run first, and within an organization oldest first.
    queue = [_waiting(1, org=1, running=0), _waiting(2, org=2, running=0), _waiting(3, org=1, running=0)]
    pick = next_run(queue, cap=1)
    assert pick is not None and pick.id == 1
    assert may_start(1, queue, cap=1) and may_start(2, queue, cap=1) and not may_start(3, queue, cap=1)
    # An organization at its share waits even with nobody else waiting (the slot stays free).
    queue = [_waiting(1, org=1, running=1)]
    assert next_run(queue, cap=1) is None and not may_start(1, queue, cap=1)
