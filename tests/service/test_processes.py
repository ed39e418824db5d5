"""Real processes: `flok keys create`, `flok serve` killed mid-run, and two `flok worker`s on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
from tests.service.conftest import Api, in_process
from tests.service.helpers import OPPS, REGS, allocate, campaign, seats


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flok.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
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
        wait_healthy(f"http://127.0.0.1:{port}", 30)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        return ctx, proc, Api(client, key, db)

    ctx, proc, api = start(0.0)
    cid = campaign(api, OPPS, REGS)
    assert allocate(api, cid)["status"] == "done"
    good = seats(api, cid)
    ctx.__exit__(None, None, None)

    ctx, proc, api = start(60.0)
    run_id = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
    deadline = time.monotonic() + 20
    while api.get(f"/runs/{run_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
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
    env = {"FLOK_DATABASE_URL": pg_url, "FLOK_RUN_DELAY_SECONDS": "0.3"}
    db = Database(pg_url)
    db.migrate()
    with (
        flok_subprocess("worker", "--name", "w1", env=env),
        flok_subprocess("worker", "--name", "w2", env=env),
        in_process(pg_url) as api,
    ):
        deadline = time.monotonic() + 30
        while True:
            with db.read() as conn:
                live = conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar()
            if live and live >= 2:
                break
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.1)
        cids = [campaign(api, OPPS, REGS) for _ in range(10)]
        run_ids = [api.post(f"/campaigns/{c}/allocate").json()["run_id"] for c in cids]
        runs = [api.wait_run(r, timeout=90) for r in run_ids]
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
        with flok_subprocess("worker", env=base):
            assert allocate(api, cid)["status"] == "done"
        good = seats(api, cid)
        run_id = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
        with flok_subprocess("worker", env={**base, "FLOK_RUN_DELAY_SECONDS": "60"}) as slow:
            deadline = time.monotonic() + 30
            while api.get(f"/runs/{run_id}").json()["status"] != "running":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            slow.send_signal(signal.SIGKILL)
            slow.wait(10)
        time.sleep(1.5)
        sweeper = {**base, "FLOK_STALE_RUN_SECONDS": "1", "FLOK_SWEEP_SECONDS": "1"}
        with flok_subprocess("worker", env=sweeper):
            run = api.wait_run(run_id, timeout=30)
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
            deadline = time.monotonic() + 30
            while True:
                with db.read() as conn:
                    status = runs.get(conn, org, orphan).status
                if status == "failed":
                    break
                assert time.monotonic() < deadline, f"the sweep never failed run {orphan} ({status})"
                time.sleep(0.2)
    db.dispose()
