"""The stored waitlists follow the reference model: random campaigns and random events (withdraw,
accept, decline, time passing, capacity changes) applied to the database through the use cases
and to ``flok.waitlist.Waitlists`` in memory give the same seats, offers and queues (SQLite)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flok import waitlist as rules
from flok.app import waitlist as wl
from flok.errors import ConflictError
from flok.store import waitlist as repo
from tests.app.waitlist_helpers import finalized, make_state, new_org, offers, seats, set_capacity

PEOPLE = [f"p{i}" for i in range(6)]
OPPS = ["A", "B", "C"]
T0 = datetime(2030, 1, 1, tzinfo=UTC)
Event = st.one_of(
    st.tuples(st.just("accept"), st.integers(0, 20)),
    st.tuples(st.just("decline"), st.integers(0, 20)),
    st.tuples(st.just("withdraw"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("capacity"), st.sampled_from(OPPS), st.integers(0, 3)),
    st.tuples(st.just("wait"), st.integers(1800, 4000)),
)


@st.composite
def rankings(draw: st.DrawFn) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}
    for p in PEOPLE:
        order: list[str | None] = list(draw(st.permutations(OPPS)))
        out[p] = order[: draw(st.integers(1, 3))]
    return out


def _state_of_db(
    state: Any, owner: int, cid: int
) -> tuple[dict[str, str], list[tuple[str, str, str]], set[tuple[str, str]]]:
    with state.db.read() as conn:
        waiting = {(e.participant_id, e.opportunity_id) for e in repo.waiting(conn, cid)}
    return seats(state.db, cid), [(p, o, s) for _, p, o, s in offers(state.db, cid)], waiting


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries({o: st.integers(0, 2) for o in OPPS}),
    rankings(),
    st.integers(0, 1000),
    st.lists(Event, min_size=1, max_size=12),
)
def test_the_database_follows_the_reference_model(
    capacity: dict[str, int], ranked: dict[str, list[str | None]], seed: int, events: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        state = make_state(f"sqlite:///{Path(folder) / 'flok.db'}")
        try:
            owner = new_org(state)
            cid = finalized(state, owner, capacity, ranked, seed=seed)
            wl.set_offer_hours(state, owner, cid, 1)
            prefs = {(p, o): float(i + 1) for p, opps in ranked.items() for i, o in enumerate(opps) if o}
            model = rules.Waitlists.start(capacity, seats(state.db, cid), prefs, seed, offer_seconds=3600)
            now = 0.0
            model.fill(now)
            wl.fill_free_seats(state, owner, cid, T0)
            for event in events:
                at = T0 + timedelta(seconds=now)
                kind = event[0]
                if kind in ("accept", "decline") and model.offers:
                    k = event[1] % len(model.offers)
                    offer_id = offers(state.db, cid)[k][0]
                    ok = (model.accept if kind == "accept" else model.decline)(k + 1, now)
                    try:
                        (wl.accept if kind == "accept" else wl.decline)(state, owner, cid, offer_id, now=at)
                        stored_ok = True
                    except ConflictError:
                        stored_ok = False
                    already = model.offers[k].status == ("accepted" if kind == "accept" else "declined")
                    assert stored_ok == (ok or already)
                elif kind == "withdraw":
                    held = model.withdraw(event[1], now)
                    if held is not None or any(p == event[1] for p, _ in prefs):  # else: NotFound
                        with state.db.write() as conn:  # what campaigns.withdraw does, at the test's clock
                            wl.withdraw_finalized(conn, owner, cid, event[1], at)
                        for key in [k for k in prefs if k[0] == event[1]]:
                            del prefs[key]
                elif kind == "capacity":
                    model.set_capacity(event[1], event[2], now)
                    set_capacity(state.db, cid, event[1], event[2])
                    wl.fill_free_seats(state, owner, cid, at)
                elif kind == "wait":
                    now += event[1]
                    model.fill(now)
                    wl.fill_free_seats(state, owner, cid, T0 + timedelta(seconds=now))
                stored_seats, stored_offers, waiting = _state_of_db(state, owner, cid)
                assert stored_seats == model.seats
                assert stored_offers == [(f.participant_id, f.opportunity_id, f.status) for f in model.offers]
                assert waiting == set(model.entries)
        finally:
            state.db.dispose()
