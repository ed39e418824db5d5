"""Two `flok serve` processes and two `flok worker`s on one PostgreSQL, as docs/service.md deploys
them: the concurrency checks one process passes must hold across processes too (exact demand,
no overbooking, one run per campaign, concurrent moves and finalize), with no 5xx — each process
keeps its database pool within the documented connection budget.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from flok.service.local import flok_subprocess, free_port, wait_healthy
from flok.store import community, keys
from flok.store.db import Database
from tests.service.conftest import Api
from tests.service.helpers import CSV, LIMIT


@contextlib.contextmanager
def deployment(
    pg_url: str, key: str, db: Database, servers: int = 2, workers: int = 2
) -> Iterator[list[Api]]:
    """``servers`` × `flok serve` on free ports and ``workers`` × `flok worker`, all started
    with the defaults an operator gets (only the database URL set)."""
    env = {"FLOK_DATABASE_URL": pg_url}
    with contextlib.ExitStack() as stack:
        ports = [free_port() for _ in range(servers)]
        for port in ports:
            stack.enter_context(flok_subprocess("serve", "--port", str(port), env=env))
        for i in range(workers):
            stack.enter_context(flok_subprocess("worker", "--name", f"w{i}", env=env))
        apis = []
        for port in ports:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, LIMIT)
            client = stack.enter_context(
                httpx.Client(base_url=base, timeout=LIMIT, limits=httpx.Limits(max_connections=200))
            )
            apis.append(Api(client, key, db))
        yield apis


def spread(apis: list[Api], n: int, call: Callable[[Api, int], httpx.Response]) -> list[httpx.Response]:
    """``n`` calls at once, alternating between the servers."""
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda i: call(apis[i % len(apis)], i), range(n)))


def no_5xx(answers: list[httpx.Response]) -> None:
    bad = [(r.status_code, r.text[:200]) for r in answers if r.status_code >= 500]
    assert bad == [], bad


def codes(answers: list[httpx.Response]) -> dict[tuple[int, str | None], int]:
    out: dict[tuple[int, str | None], int] = {}
    for r in answers:
        code = r.json().get("code") if r.status_code >= 400 else None
        out[(r.status_code, code)] = out.get((r.status_code, code), 0) + 1
    return out


@pytest.mark.slow
@pytest.mark.postgres
def test_two_servers_and_two_workers_pass_the_concurrency_checks(pg_url: str) -> None:
    db = Database(pg_url)
    db.migrate()
    with db.write() as conn:
        org = keys.ensure_org(conn, f"two-servers-{uuid.uuid4().hex[:8]}")
        key = keys.create_key(conn, org)
        community.create_opportunity(conn, org, {"opportunity_id": "hot", "capacity": 10, "tags": []})
        for p in range(200):
            community.create_participant(
                conn, org, {"participant_id": f"p{p}", "interests": [], "availability": []}
            )
    with deployment(pg_url, key, db) as apis:
        # Exact demand: 200 feedback events at once, half through each server.
        def feedback(api: Api, i: int) -> httpx.Response:
            event = {
                "event_id": f"e{i}",
                "participant_id": f"p{i}",
                "opportunity_id": "hot",
                "action": "accepted",
                "at": "2026-11-23T10:00:00Z",
            }
            return api.post("/feedback", json=event)

        answers = spread(apis, 200, feedback)
        no_5xx(answers)
        assert codes(answers) == {(200, None): 200}
        assert apis[0].get("/opportunities/hot").json()["demand"] == 200.0

        # No overbooking: 100 RSVPs at once for 10 seats, half through each server.
        answers = spread(
            apis, 100, lambda api, i: api.post("/opportunities/hot/rsvp", json={"participant_id": f"p{i}"})
        )
        no_5xx(answers)
        assert codes(answers) == {(201, None): 10, (409, "FULL"): 90}
        body = apis[1].get("/opportunities/hot").json()
        assert body["confirmed"] == 10 and body["seats_left"] == 0

        # One run per campaign: ten allocation requests at once, one accepted.
        api = apis[0]
        cid = api.post("/campaigns", json={"name": "two servers"}).json()["id"]
        opps = "opportunity_id,capacity\nT,3\nS,2\n"
        regs = "participant_id,opportunity_id,rank\n" + "".join(f"q{i},T,1\n" for i in range(20))
        assert (
            api.post(f"/campaigns/{cid}/opportunities", content=opps.encode(), headers=CSV).status_code == 201
        )
        assert (
            api.post(f"/campaigns/{cid}/registrations", content=regs.encode(), headers=CSV).status_code == 201
        )
        assert api.post(f"/campaigns/{cid}/open").status_code == 200
        assert api.post(f"/campaigns/{cid}/close").status_code == 200
        answers = spread(apis, 10, lambda a, _: a.post(f"/campaigns/{cid}/allocate"))
        no_5xx(answers)
        assert codes(answers) == {(202, None): 1, (409, "RUN_ACTIVE"): 9}
        run_id = next(r.json()["run_id"] for r in answers if r.status_code == 202)
        run = api.wait_run(run_id, timeout=LIMIT)
        assert run["status"] == "done", run
        with db.read() as conn:
            assert (
                conn.execute(text("SELECT count(*) FROM runs WHERE campaign_id = :c"), {"c": cid}).scalar()
                == 1
            )

        # Concurrent moves: 17 unseated people into S (2 seats) at once; exactly 2 get in.
        seated = {r["participant_id"] for r in _assignments(api, cid) if r["opportunity_id"] == "T"}
        waiting = [f"q{i}" for i in range(20) if f"q{i}" not in seated]
        assert len(seated) == 3 and len(waiting) == 17
        answers = spread(
            apis,
            len(waiting),
            lambda a, i: a.post(
                f"/campaigns/{cid}/allocation/moves",
                json={"participant_id": waiting[i], "opportunity_id": "S"},
            ),
        )
        no_5xx(answers)
        assert codes(answers) == {(200, None): 2, (409, "FULL"): 15}

        # Concurrent finalize, racing moves: every finalize answers the same, and the confirmed
        # registrations are exactly the seats (no opportunity over capacity).
        movers = [p for p in waiting if p not in _in(api, cid, "S")]

        def finalize_or_move(a: Api, i: int) -> httpx.Response:
            if i % 2:
                return a.post(f"/campaigns/{cid}/finalize")
            return a.post(
                f"/campaigns/{cid}/allocation/moves",
                json={"participant_id": movers[i], "opportunity_id": None},
            )

        answers = spread(apis, 12, finalize_or_move)
        no_5xx(answers)
        finals = [r.json() for i, r in enumerate(answers) if i % 2]
        assert all(f == finals[0] for f in finals) and finals[0]["status"] == "finalized"
        seats = {
            (r["participant_id"], r["opportunity_id"]) for r in _assignments(api, cid) if r["opportunity_id"]
        }
        confirmed = {
            (r["participant_id"], r["opportunity_id"])
            for r in api.get(f"/campaigns/{cid}/registrations").json()
            if r["status"] == "confirmed"
        }
        seated_in = [o for _, o in seats]
        assert seated_in.count("T") <= 3 and seated_in.count("S") <= 2
        assert {(p, o) for p, o in confirmed} <= seats
    db.dispose()


def _assignments(api: Api, cid: int) -> list[dict[str, Any]]:
    return list(api.get(f"/campaigns/{cid}/allocation", params={"limit": 1000}).json()["assignments"])


def _in(api: Api, cid: int, opportunity: str) -> set[str]:
    return {r["participant_id"] for r in _assignments(api, cid) if r["opportunity_id"] == opportunity}
