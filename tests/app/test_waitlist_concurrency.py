"""Two processes withdrawing and accepting at once on one PostgreSQL campaign: no seat is ever
offered twice, no capacity is exceeded, an offer accepted by both counts once, and every seat is
accounted for by the events that moved it."""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from flok.app import campaigns
from flok.app import waitlist as wl
from flok.errors import ConflictError
from flok.store.db import Database
from flok.store.tables import assignments, campaign_opportunities, seat_offers
from tests.app.waitlist_helpers import finalized, make_state, new_org, offers, seats
from tests.service.conftest import LIMIT, pg_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres
CAPACITY = {"A": 3, "B": 3, "C": 3, "D": 3}


def _declines(offer_id: int) -> bool:
    """Every fourth offer is declined; both processes decide the same way for the same offer."""
    return offer_id % 4 == 0


def _worker(url: str, org: int, cid: int, withdrawals: list[str], out: str) -> None:
    """Withdraw one's share of the seated, and decide every open offer seen, until none is left."""
    state = make_state(url)
    log: list[dict[str, Any]] = []
    todo = list(withdrawals)
    deadline = time.monotonic() + LIMIT
    try:
        while time.monotonic() < deadline:
            if todo:
                pid = todo.pop(0)
                campaigns.withdraw(state, org, cid, pid)
                log.append({"event": "withdraw", "participant": pid})
            found, _ = wl.list_offers(state, org, cid, status="open")
            if not found and not todo:
                break
            for offer in found:
                doing = "decline" if _declines(offer.id) else "accept"
                try:
                    done = (wl.decline if doing == "decline" else wl.accept)(state, org, cid, offer.id)
                    log.append({"event": doing, "offer": offer.id, "changed": done.changed})
                except ConflictError as exc:  # decided by the other process in between
                    log.append({"event": doing, "offer": offer.id, "refused": exc.code})
    finally:
        Path(out).write_text(json.dumps(log))
        state.db.dispose()


def _violations(db: Database, cid: int) -> list[str]:
    """Seats + open offers above capacity, or two seats for one person, in one snapshot."""
    seated = (
        select(func.count())
        .where(
            assignments.c.campaign_id == cid,
            assignments.c.opportunity_id == campaign_opportunities.c.opportunity_id,
        )
        .scalar_subquery()
    )
    offered = (
        select(func.count())
        .where(
            seat_offers.c.campaign_id == cid,
            seat_offers.c.status == "open",
            seat_offers.c.opportunity_id == campaign_opportunities.c.opportunity_id,
        )
        .scalar_subquery()
    )
    doubled = (
        select(assignments.c.participant_id)
        .where(assignments.c.campaign_id == cid)
        .group_by(assignments.c.participant_id)
        .having(func.count() > 1)
        .scalar_subquery()
    )
    q = select(
        campaign_opportunities.c.opportunity_id, campaign_opportunities.c.capacity, seated, offered
    ).where(campaign_opportunities.c.campaign_id == cid)
    with db.read() as conn:
        out = [f"{o}: {s} seated + {f} offered > {c}" for o, c, s, f in conn.execute(q) if s + f > c]
        out += [f"{p} holds two seats" for p in conn.execute(select(doubled)).scalars() if p]
    return out


def test_two_processes_withdrawing_and_accepting_at_once(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    state = make_state(pg_url)
    owner = new_org(state)
    draw = random.Random(18)
    ranked: dict[str, list[str | None]] = {}
    for i in range(40):
        order: list[str | None] = list(CAPACITY)
        draw.shuffle(order)
        ranked[f"p{i:02d}"] = order
    cid = finalized(state, owner, CAPACITY, ranked, seed=18)
    before = seats(state.db, cid)
    assert len(before) == 12 and offers(state.db, cid) == []
    holders = sorted(before)
    shares = [holders[0::2], holders[1::2]]
    outs = [str(tmp_path / f"log{i}.json") for i in range(2)]
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_worker, args=(pg_url, owner, cid, shares[i], outs[i])) for i in range(2)]
    for p in procs:
        p.start()
    seen: list[str] = []
    deadline = time.monotonic() + 2 * LIMIT
    while any(p.is_alive() for p in procs):  # watch the invariants while they work
        assert time.monotonic() < deadline, "the two processes did not finish"
        seen += _violations(state.db, cid)
        time.sleep(0.02)
    for p in procs:
        p.join(LIMIT)
        assert p.exitcode == 0
    assert seen == [] and _violations(state.db, cid) == []

    logs = [json.loads(Path(o).read_text()) for o in outs]
    events = [e for log in logs for e in log]
    assert sorted(e["participant"] for e in events if e["event"] == "withdraw") == holders
    with state.db.read() as conn:
        rows = conn.execute(select(seat_offers).where(seat_offers.c.campaign_id == cid)).mappings().all()
    assert rows, "no offer was made"
    assert {r["status"] for r in rows} <= {"accepted", "declined", "withdrawn"}  # nothing left open
    # Every decision counted once: exactly one process changed each decided offer.
    changed = Counter(e["offer"] for e in events if e.get("changed"))
    for r in rows:
        if r["status"] in ("accepted", "declined"):
            assert changed[r["id"]] == 1, r
            event = "accept" if r["status"] == "accepted" else "decline"
            assert all(e["event"] == event for e in events if e.get("offer") == r["id"])
        else:  # withdrawn only because its holder accepted a better seat
            assert r["reason"] == "placed_better" and changed[r["id"]] == 0
            better = [
                f for f in rows if f["participant_id"] == r["participant_id"] and f["status"] == "accepted"
            ]
            assert better, r
    assert sum(changed.values()) == sum(1 for r in rows if r["status"] in ("accepted", "declined"))
    assert all(e.get("refused") in (None, "OFFER_NOT_OPEN") for e in events)
    # Every seat accounted for: initial − withdrawn + accepted into − released by a better accept.
    after = seats(state.db, cid)
    flow: dict[str, int] = Counter(before.values())
    for pid in holders:
        flow[before[pid]] -= 1
    for r in rows:
        if r["status"] == "accepted":
            flow[r["opportunity_id"]] += 1
            if r["released"] is not None:
                flow[r["released"]] -= 1
    assert dict(Counter(after.values())) == {o: n for o, n in flow.items() if n}
    assert dict(Counter(after.values())) == CAPACITY  # 28 people waited for 12 freed seats
    # Each seat is the holder's last accepted offer.
    last: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["decided_at"] or r["offered_at"]):
        if r["status"] == "accepted":
            last[r["participant_id"]] = r["opportunity_id"]
    assert after == last
    assert not set(after) & set(holders)
    state.db.dispose()
