"""Real processes: `flok keys create`, `flok serve` killed mid-run, and two `flok worker`s on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from flok.service.local import flok_subprocess, free_port, wait_healthy
from flok.store import keys, runs
from flok.store.db import Database
from flok.store.tables import runs as runs_table
from flok.store.types import utcnow
from tests.service.conftest import LIMIT, Api, in_process
from tests.service.helpers import OPPS, REGS, allocate, campaign, seats, wait_for, worker_mark, workers_since


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flok.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )


@pytest.mark.slow
def test_killed_server_leaves_last_allocation_and_marks_run_failed(sqlite_url: str) -> None:
    made = cli("keys", "create", "--org", "acme", "--database-url", sqlite_url)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("flok_")
    db = Database(sqlite_url)
    with db.read() as conn:  # stored only as a hash
        assert (
            conn.execute(text("SELECT count(*) FROM api_keys WHERE key_hash = :k"), {"k": key}).scalar() == 0
        )
    db.dispose()

    def start(delay: float) -> Any:
        port = free_port()
        env = {"FLOK_RUN_DELAY_SECONDS": str(delay)}
        ctx = flok_subprocess("serve", "--port", str(port), "--database-url", sqlite_url, env=env)
        proc = ctx.__enter__()
        wait_healthy(f"http://127.0.0.1:{port}", LIMIT)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=LIMIT)
        return ctx, proc, Api(client, key, db)

    ctx, proc, api = start(0.0)
    cid = campaign(api, OPPS, REGS)
    assert allocate(api, cid)["status"] == "done"
    good = seats(api, cid)
    ctx.__exit__(None, None, None)

    ctx, proc, api = start(600.0)  # the run waits until it is killed, however busy the machine
    run_id = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
    wait_for(lambda: api.get(f"/runs/{run_id}").json()["status"] == "running", "the run to start")
    proc.send_signal(signal.SIGKILL)
    proc.wait(LIMIT)
    ctx.__exit__(None, None, None)

    ctx, proc, api = start(0.0)
    try:
        run = api.get(f"/runs/{run_id}").json()
        assert run["status"] == "failed" and run["error"]["code"] == "INTERRUPTED"
        assert seats(api, cid) == good
        assert api.get(f"/campaigns/{cid}").json()["status"] == "allocated"
        assert allocate(api, cid)["status"] == "done"  # and the campaign can be allocated again
    finally:
        ctx.__exit__(None, None, None)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_run_ten_allocations_exactly_once(pg_url: str) -> None:
    # Each run holds its worker for a second, so one worker alone would need ten: the other one
    # takes a share even when a busy machine is slow to start its polling (with 0.3 s, one
    # worker once took all ten while the machine was loaded). All ten runs are one
    # organization's, and by default an organization may use every worker but one (the fair
    # share, docs/service.md): with two workers its runs would go one at a time, to whichever
    # worker asked first, and one worker took all ten on a loaded machine. So this organization
    # may use both here; the fair share has tests of its own.
    env = {"FLOK_DATABASE_URL": pg_url, "FLOK_RUN_DELAY_SECONDS": "1.0", "FLOK_MAX_RUNS_PER_ORG": "2"}
    db = Database(pg_url)
    db.migrate()
    mark = worker_mark(db)
    with (
        flok_subprocess("worker", "--name", "w1", env=env),
        flok_subprocess("worker", "--name", "w2", env=env),
        in_process(pg_url) as api,
    ):
        wait_for(lambda: workers_since(db, mark) >= 2, "both workers to start")
        cids = [campaign(api, OPPS, REGS) for _ in range(10)]
        run_ids = [api.post(f"/campaigns/{c}/allocate").json()["run_id"] for c in cids]
        runs = [api.wait_run(r) for r in run_ids]
        assert [r["status"] for r in runs] == ["done"] * 10, runs
        for cid, run in zip(cids, runs, strict=True):
            body = api.get(f"/campaigns/{cid}").json()
            assert body["allocation_run_id"] == run["id"] and body["assigned"] == 3
        with db.read() as conn:
            jobs = conn.execute(
                text(
                    "SELECT status, count(*) FROM procrastinate_jobs "
                    "WHERE (args->>'run_id')::int = ANY(:ids) GROUP BY status"
                ),
                {"ids": run_ids},
            ).all()
            workers = conn.execute(
                text("SELECT DISTINCT worker FROM runs WHERE id = ANY(:ids)"), {"ids": run_ids}
            ).scalars()
            worker_pids = set(workers)
        assert dict(jobs) == {"succeeded": 10}
        assert len(worker_pids) == 2, worker_pids  # both workers took a share
    db.dispose()
    assert os.environ.get("FLOK_DATABASE_URL") != pg_url  # the test did not leak its settings


def test_demo_organization_key_is_printed_once(sqlite_url: str) -> None:
    from flok.server import seed_demo

    db = Database(sqlite_url)
    db.migrate()
    key = seed_demo(db, "demo")
    assert key is not None and seed_demo(db, "demo") is None  # never stored in clear, never shown twice
    with in_process(sqlite_url) as api:
        own = Api(api.client, key, db)
        assert [c["status"] for c in own.get("/campaigns").json()] == ["open"]
        assert len(own.get("/opportunities").json()) == 5
        assert own.get("/participants/ana/feed").json()["items"]
    db.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_killed_worker_leaves_last_allocation_and_next_worker_fails_its_run(pg_url: str) -> None:
    base = {"FLOK_DATABASE_URL": pg_url}
    db = Database(pg_url)
    db.migrate()
    with in_process(pg_url) as api:
        cid = campaign(api, OPPS, REGS)
        # Every wait below is on a condition with a generous limit: on a busy machine a worker
        # takes tens of seconds just to start (this test once failed with 'queued' == 'done'
        # when its allocation was given 30 s, worker start-up included).
        with flok_subprocess("worker", env=base):
            assert allocate(api, cid)["status"] == "done"
        good = seats(api, cid)
        run_id = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
        with flok_subprocess("worker", env={**base, "FLOK_RUN_DELAY_SECONDS": "600"}) as slow:
            wait_for(lambda: api.get(f"/runs/{run_id}").json()["status"] == "running", "the run to start")
            slow.send_signal(signal.SIGKILL)
            slow.wait(LIMIT)
        # The run's heartbeat is now silent; a worker that takes silence over 1 s for death fails it.
        sweeper = {**base, "FLOK_STALE_RUN_SECONDS": "1", "FLOK_SWEEP_SECONDS": "1"}
        with flok_subprocess("worker", env=sweeper):
            run = api.wait_run(run_id)
            assert run["status"] == "failed" and run["error"]["code"] == "INTERRUPTED"
            assert seats(api, cid) == good
            # A run whose worker dies while this one is already up: the periodic sweep fails it.
            with db.write() as conn:
                org = keys.ensure_org(conn, "sweep")
                orphan = runs.create(conn, org, "rebalance", {})
                assert runs.claim(conn, orphan, "gone-worker")
                conn.execute(
                    update(runs_table)
                    .where(runs_table.c.id == orphan)
                    .values(heartbeat_at=utcnow() - timedelta(minutes=5))
                )
            wait_for(lambda: _status(db, org, orphan) == "failed", f"the sweep to fail run {orphan}")
    db.dispose()


def _status(db: Database, org: int, run_id: int) -> str:
    with db.read() as conn:
        return runs.get(conn, org, run_id).status
