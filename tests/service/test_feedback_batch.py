"""Feedback in batches (group commit) against a sequential oracle, on SQLite and PostgreSQL.

The oracle applies events one at a time with ``flok.pulse.update`` and a plain set of seen
event ids; every batch split of the same events must give the same answers and stored demand.
Both database paths are checked: SQLAlchemy (``record_feedback``) on SQLite and PostgreSQL,
and the async psycopg path (``record_feedback_pg``) on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from flok.app.feedback_batch import FeedbackBatcher
from flok.pulse import PulseConfig
from flok.pulse import update as fold_event
from flok.store import community, keys
from flok.store.db import Database
from flok.store.errors import NotFound, StoreError
from flok.store.feedback import Answer, DemandRow, FeedbackEvent, record_feedback, record_feedback_pg
from flok.store.tables import feedback_events

CONFIG = PulseConfig()
T0 = datetime(2026, 11, 23, 10, tzinfo=UTC)
OPPS = ("a", "b")  # created in each organization; "ghost" is not
PEOPLE = ("p", "q")  # registered; "stranger" is not
_names = itertools.count()


@pytest.fixture(scope="module")
def databases(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, Database]]:
    """A migrated SQLite database, and a PostgreSQL one when a server answers."""
    out = {"sqlite": Database(f"sqlite:///{tmp_path_factory.mktemp('fb') / 'flok.db'}")}
    with contextlib.suppress(pytest.skip.Exception):
        out["postgres"] = Database(str(request.getfixturevalue("pg_url")))
    for db in out.values():
        db.migrate()
    yield out
    for db in out.values():
        db.dispose()


def new_orgs(db: Database, n: int = 2) -> list[int]:
    """Fresh organizations, each with opportunities ``a`` (1 seat), ``b`` (3 seats) and people p, q."""
    orgs = []
    with db.write() as conn:
        for _ in range(n):
            org = keys.ensure_org(conn, f"batch-{next(_names)}-{uuid.uuid4().hex[:6]}")
            for oid, cap in zip(OPPS, (1, 3), strict=True):
                community.create_opportunity(conn, org, {"opportunity_id": oid, "capacity": cap, "tags": []})
            for pid in PEOPLE:
                community.create_participant(
                    conn, org, {"participant_id": pid, "interests": [], "availability": []}
                )
            orgs.append(org)
    return orgs


class Oracle:
    """One event at a time: the behaviour every batching must reproduce."""

    def __init__(self) -> None:
        self.state: dict[tuple[int, str], tuple[float, float | None]] = {}
        self.seen: set[tuple[int, str]] = set()

    def demand(self, org: int, oid: str) -> float:
        return self.state.get((org, oid), (0.0, None))[0]

    def apply(self, e: FeedbackEvent) -> tuple[str, float | None]:
        if e.opportunity_id not in OPPS:
            return "opportunity", None
        if e.participant_id not in PEOPLE:
            return "participant", None
        if (e.org_id, e.event_id) in self.seen:
            return "duplicate", None
        self.seen.add((e.org_id, e.event_id))
        d, t = self.state.get((e.org_id, e.opportunity_id), (0.0, None))
        d, t = fold_event(d, t, CONFIG.weight(e.action), e.at.timestamp(), tau_seconds=CONFIG.tau_seconds)
        self.state[e.org_id, e.opportunity_id] = (d, t)
        return "new", d


def check(answers: list[Answer], batch: list[FeedbackEvent], oracle: Oracle) -> None:
    expected = [oracle.apply(e) for e in batch]
    assert len(answers) == len(batch)
    for e, answer, (kind, demand) in zip(batch, answers, expected, strict=True):
        if kind in ("opportunity", "participant"):
            assert isinstance(answer, NotFound) and answer.field == f"{kind}_id", (e, answer)
            continue
        assert isinstance(answer, DemandRow) and answer.opportunity_id == e.opportunity_id
        assert answer.duplicate == (kind == "duplicate"), (e, answer)
        # a new event sees the demand right after itself; a repeat sees it after the whole batch
        want = oracle.demand(e.org_id, e.opportunity_id) if demand is None else demand
        assert math.isclose(answer.demand, want, rel_tol=1e-12, abs_tol=1e-12), (e, answer, want)


def stored(db: Database, org: int) -> dict[str, float]:
    with db.read() as conn:
        return {r.opportunity_id: float(r.demand) for r in community.list_opportunities(conn, org)}


events_strategy = st.lists(
    st.tuples(
        st.integers(0, 1),  # organization
        st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6"]),  # few ids: repeats are common
        st.sampled_from([*PEOPLE, "stranger"]),
        st.sampled_from([*OPPS, "ghost"]),
        st.sampled_from(["shown", "clicked", "accepted", "declined"]),
        st.integers(-30, 30),  # hours from T0: late events are common too
    ),
    min_size=1,
    max_size=25,
)


def build(orgs: list[int], raw: list[tuple[int, str, str, str, str, int]]) -> list[FeedbackEvent]:
    return [
        FeedbackEvent(orgs[o], eid, pid, oid, action, T0 + timedelta(hours=h))
        for o, eid, pid, oid, action, h in raw
    ]


def split(events: list[FeedbackEvent], cuts: list[int]) -> list[list[FeedbackEvent]]:
    bounds = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def run_sqlalchemy(db: Database, batch: list[FeedbackEvent]) -> list[Answer]:
    with db.write() as conn:
        return record_feedback(conn, batch, CONFIG)


def run_async(db: Database, batches: list[list[FeedbackEvent]]) -> list[list[Answer]]:
    async def go() -> list[list[Answer]]:
        aconn = await psycopg.AsyncConnection.connect(db.conninfo, autocommit=True)
        async with aconn:
            return [await record_feedback_pg(aconn, b, CONFIG) for b in batches]

    return asyncio.run(go())


PATHS = ["sqlite", "postgres-sqlalchemy", "postgres-async"]


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=events_strategy, cuts=st.lists(st.integers(0, 30), max_size=5))
def test_any_batching_matches_one_event_at_a_time(
    databases: dict[str, Database], path: str, raw: list[Any], cuts: list[int]
) -> None:
    db = databases.get(path.split("-")[0])
    if db is None:
        pytest.skip("no PostgreSQL server answers (see the pg_url fixture)")
    orgs = new_orgs(db)
    events = build(orgs, raw)
    batches = split(events, cuts)
    oracle = Oracle()
    if path == "postgres-async":
        for batch, answers in zip(batches, run_async(db, batches), strict=True):
            check(answers, batch, oracle)
    else:
        for batch in batches:
            check(run_sqlalchemy(db, batch), batch, oracle)
    for org in orgs:
        assert stored(db, org) == pytest.approx({oid: oracle.demand(org, oid) for oid in OPPS}, rel=1e-12)
    with db.read() as conn:
        ids = conn.execute(select(feedback_events.c.event_id).where(feedback_events.c.org_id.in_(orgs)))
        assert len(list(ids)) == len(oracle.seen)  # each event id stored exactly once


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_batcher_groups_concurrent_requests_and_isolates_errors(
    databases: dict[str, Database], kind: str
) -> None:
    db = databases.get(kind)
    if db is None:
        pytest.skip("no PostgreSQL server answers (see the pg_url fixture)")
    (org,) = new_orgs(db, 1)
    batcher = FeedbackBatcher(db, CONFIG)
    sizes: list[int] = []
    write = batcher._write

    async def counting(events: list[FeedbackEvent]) -> list[Answer]:
        sizes.append(len(events))
        return await write(events)

    batcher._write = counting  # type: ignore[method-assign]

    async def go() -> list[Any]:
        calls = [batcher.record(FeedbackEvent(org, f"e{i}", "p", "b", "accepted", T0)) for i in range(60)]
        calls.append(batcher.record(FeedbackEvent(org, "bad", "p", "ghost", "accepted", T0)))
        try:
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await batcher.aclose()

    results = asyncio.run(go())
    assert isinstance(results[-1], NotFound) and results[-1].field == "opportunity_id"
    assert sorted(r.demand for r in results[:-1]) == [float(i) for i in range(1, 61)]
    assert sum(sizes) == 61 and len(sizes) < 61  # shared transactions, not one per event
    assert stored(db, org)["b"] == 60.0


def test_a_failed_transaction_reaches_every_waiter(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated: no tables
    batcher = FeedbackBatcher(db, CONFIG)

    async def go() -> list[Any]:
        calls = [batcher.record(FeedbackEvent(1, f"e{i}", "p", "a", "shown", T0)) for i in range(5)]
        try:
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await batcher.aclose()

    results = asyncio.run(go())
    assert all(isinstance(r, Exception) and not isinstance(r, StoreError) for r in results)
    db.dispose()


def test_a_dropped_postgres_connection_is_replaced(databases: dict[str, Database]) -> None:
    db = databases.get("postgres")
    if db is None:
        pytest.skip("no PostgreSQL server answers (see the pg_url fixture)")
    (org,) = new_orgs(db, 1)
    batcher = FeedbackBatcher(db, CONFIG)

    async def go() -> list[float]:
        first = await batcher.record(FeedbackEvent(org, "x1", "p", "a", "accepted", T0))
        assert batcher._pg is not None
        pid = batcher._pg.info.backend_pid
        with psycopg.connect(db.conninfo, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        second = await batcher.record(FeedbackEvent(org, "x2", "p", "a", "accepted", T0))
        await batcher.aclose()
        return [first.demand, second.demand]

    assert asyncio.run(go()) == [1.0, 2.0]
