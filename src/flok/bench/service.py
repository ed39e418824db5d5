"""Service load benchmark: ``python -m flok.bench.service``.

Starts ``flok serve`` (and a ``flok worker`` on PostgreSQL) on a free 127.0.0.1 port against
a fresh database, seeds opportunities and participants, then drives it with locust (headless,
bounded in time and in request count) in two phases — ``POST /feedback`` and
``GET /participants/{id}/feed`` — and finally allocates a 10,000-participant campaign
through the API. Prints one table. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from flok.app.keys import create_key, open_database
from flok.bench.generate import zipf_instance
from flok.service.local import flok_subprocess, free_port, wait_healthy

LOCUSTFILE = """
import os, random, uuid
from datetime import datetime, timezone
from locust import FastHttpUser, constant, task, events

KEY = os.environ["FLOK_BENCH_KEY"]
PHASE = os.environ["FLOK_BENCH_PHASE"]
OPPS = int(os.environ["FLOK_BENCH_OPPS"])
PEOPLE = int(os.environ["FLOK_BENCH_PEOPLE"])
LIMIT = int(os.environ["FLOK_BENCH_MAX_REQUESTS"])
sent = 0

class Client(FastHttpUser):
    wait_time = constant(0)
    headers = {"Authorization": "Bearer " + KEY}

    def _count(self):
        global sent
        sent += 1
        if sent >= LIMIT:
            self.environment.runner.quit()

    @task
    def work(self):
        if PHASE == "feedback":
            body = {
                "event_id": uuid.uuid4().hex,
                "participant_id": "p%d" % random.randrange(PEOPLE),
                "opportunity_id": "o%d" % random.randrange(OPPS),
                "action": random.choice(["shown", "clicked", "accepted", "declined"]),
                "at": datetime.now(timezone.utc).isoformat(),
            }
            self.client.post("/feedback", json=body, headers=self.headers, name="POST /feedback")
        else:
            pid = "p%d" % random.randrange(PEOPLE)
            self.client.get("/participants/%s/feed?limit=20" % pid, headers=self.headers, name="GET /feed")
        self._count()
"""


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """A throwaway PostgreSQL database when one answers (or the URL given), else a SQLite file."""
    if url:
        yield url
        return
    try:
        import psycopg

        admin = psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="test", autocommit=True, connect_timeout=3
        )
    except Exception:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"flok_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def seed(client: httpx.Client, opps: int, people: int, rng: np.random.Generator) -> None:
    tags = ["chess", "music", "hiking", "code", "art", "food", "books", "film", "yoga", "garden"]
    for o in range(opps):
        body = {
            "opportunity_id": f"o{o}",
            "capacity": int(rng.integers(5, 40)),
            "title": f"Opportunity {o}",
            "start": "2030-01-01T18:00:00Z",
            "end": "2030-01-01T20:00:00Z",
            "lat": 52.5 + float(rng.normal(0, 0.05)),
            "lon": 13.4 + float(rng.normal(0, 0.05)),
            "tags": list(rng.choice(tags, 2, replace=False)),
        }
        client.post("/opportunities", json=body).raise_for_status()
    for p in range(people):
        body = {
            "participant_id": f"p{p}",
            "interests": list(rng.choice(tags, 3, replace=False)),
            "lat": 52.5 + float(rng.normal(0, 0.05)),
            "lon": 13.4 + float(rng.normal(0, 0.05)),
            "availability": [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}],
        }
        client.post("/participants", json=body).raise_for_status()


def locust_phase(base: str, key: str, phase: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    prefix = workdir / phase
    env = {
        "FLOK_BENCH_KEY": key,
        "FLOK_BENCH_PHASE": phase,
        "FLOK_BENCH_OPPS": str(args.opportunities),
        "FLOK_BENCH_PEOPLE": str(args.participants),
        "FLOK_BENCH_MAX_REQUESTS": str(args.max_requests),
    }
    cmd = [
        str(Path(sys.executable).with_name("locust")),
        "-f", str(locustfile), "--headless", "--only-summary",
        "-u", str(args.users), "-r", str(args.users),
        "-t", f"{args.seconds}s", "--host", base, "--csv", str(prefix),
    ]  # fmt: skip
    subprocess.run(
        cmd, env={**os.environ, **env}, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]
    row = rows[0]
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
    }


def allocation_phase(client: httpx.Client, n: int) -> dict[str, float]:
    inst = zipf_instance(n, max(50, n // 20), seed=1)
    opps = "opportunity_id,capacity\n" + "".join(f"o{i},{c}\n" for i, c in enumerate(inst.capacity))
    prefs = "participant_id,opportunity_id,rank\n" + "".join(
        f"p{p},o{o},{r}\n"
        for p, o, r in zip(inst.pref_participant, inst.pref_opportunity, inst.rank, strict=True)
    )
    cid = client.post("/campaigns", json={"name": "bench"}).json()["id"]
    t0 = time.perf_counter()
    hdr = {"content-type": "text/csv"}
    client.post(f"/campaigns/{cid}/opportunities", content=opps.encode(), headers=hdr).raise_for_status()
    client.post(f"/campaigns/{cid}/registrations", content=prefs.encode(), headers=hdr).raise_for_status()
    client.post(f"/campaigns/{cid}/open").raise_for_status()
    client.post(f"/campaigns/{cid}/close").raise_for_status()
    t1 = time.perf_counter()
    run_id = client.post(f"/campaigns/{cid}/allocate").json()["run_id"]
    while (run := client.get(f"/runs/{run_id}").json())["status"] in ("queued", "running"):
        time.sleep(0.02)
    t2 = time.perf_counter()
    if run["status"] != "done":
        raise SystemExit(f"allocation run {run['status']}: {run['error']}")
    rows = client.get(f"/campaigns/{cid}/allocation").json()["assignments"]
    t3 = time.perf_counter()
    return {
        "upload_seconds": t1 - t0,
        "allocate_seconds": t2 - t1,
        "fetch_seconds": t3 - t2,
        "solve_seconds": float(run["report"]["solve_seconds"]),
        "assigned": float(sum(1 for r in rows if r["opportunity_id"])),
        "preferences": float(len(inst.rank)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", help="default: a fresh PostgreSQL database if one answers, else SQLite"
    )
    parser.add_argument("--seconds", type=int, default=15, help="time limit of each locust phase")
    parser.add_argument("--max-requests", type=int, default=40_000, help="request limit of each phase")
    parser.add_argument("--users", type=int, default=16, help="concurrent locust users")
    parser.add_argument("--server-workers", type=int, default=2, help="uvicorn processes (PostgreSQL only)")
    parser.add_argument("--opportunities", type=int, default=200)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument(
        "--campaign", type=int, default=10_000, help="participants in the allocation campaign"
    )
    args = parser.parse_args(argv)
    with fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        db = open_database(url)
        key = create_key(db, "bench")
        db.dispose()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        sqlite = url.startswith("sqlite")
        workers = 1 if sqlite else args.server_workers
        env = {"FLOK_DATABASE_URL": url}
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        with contextlib.ExitStack() as stack:
            stack.enter_context(flok_subprocess(*serve, env=env))
            if not sqlite:
                stack.enter_context(flok_subprocess("worker", env=env))
            wait_healthy(base)
            client = stack.enter_context(
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120)
            )
            seed(client, args.opportunities, args.participants, np.random.default_rng(0))
            results = {
                phase: locust_phase(base, key, phase, args, Path(tmp)) for phase in ("feedback", "feed")
            }
            alloc = allocation_phase(client, args.campaign)
    kind = "SQLite" if sqlite else "PostgreSQL"
    print(f"Flok service benchmark — {kind}, {workers} server process(es), {args.users} locust users,")
    print(f"{os.cpu_count()} CPUs shared with locust itself (and anything else running on the machine)")
    print(f"{'endpoint':<18}{'requests':>10}{'failures':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for phase, name in (("feedback", "POST /feedback"), ("feed", "GET feed")):
        r = results[phase]
        print(
            f"{name:<18}{r['requests']:>10}{r['failures']:>10}{r['rps']:>10.0f}{r['p50']:>9.0f}{r['p99']:>9.0f}"
        )
    print(
        f"allocation of {args.campaign:,} participants ({int(alloc['preferences']):,} preferences): "
        f"POST allocate → run done {alloc['allocate_seconds']:.2f} s (solve {alloc['solve_seconds']:.2f} s), "
        f"fetch {alloc['fetch_seconds']:.2f} s, upload {alloc['upload_seconds']:.2f} s; "
        f"{int(alloc['assigned']):,} seated"
    )


if __name__ == "__main__":
    main()
