"""Waitlists after finalize, against real databases (SQLite, and PostgreSQL when one answers):
offers in queue order, deadlines, the cascade, capacity changes, idempotence, org isolation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from flok.app import campaigns
from flok.app import waitlist as wl
from flok.app.state import State
from flok.errors import ConflictError, InputError, NotFoundError
from tests.app.waitlist_helpers import (
    CAPACITY,
    HOLD,
    RANKED,
    finalized,
    make_state,
    new_org,
    offers,
    seats,
    set_capacity,
)
from tests.service.conftest import pg_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[State]:
    url = (
        f"sqlite:///{tmp_path}/flok.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    made = make_state(url)
    yield made
    made.db.dispose()


def open_offer(state: State, owner: int, cid: int, participant: str) -> wl.OfferRow:
    found, _ = wl.list_offers(state, owner, cid, status="open", participant_id=participant)
    assert len(found) == 1, found
    return found[0]


def test_finalize_puts_the_unplaced_on_their_waitlists_in_rank_order(state: State) -> None:
    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    assert seats(state.db, cid) == {"a": "A", "b": "B", "c": "C"}
    view = wl.view(state, owner, cid)
    queues = {o.opportunity_id: [p.participant_id for p in o.queue] for o in view.opportunities}
    assert queues == {"A": ["z"], "B": ["w", "z", "v"], "C": ["v"]}  # B: rank 1, 2, 3
    assert offers(state.db, cid) == []  # no seat is free
    assert view.started_at is not None and view.offer_hours == wl.DEFAULT_OFFER_HOURS
    campaigns.finalize(state, owner, cid)  # repeating it changes nothing
    assert wl.view(state, owner, cid).opportunities == view.opportunities


def test_withdraw_decline_accept_cascade(state: State) -> None:
    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    campaigns.withdraw(state, owner, cid, "b")  # B frees: offered to w, first on B's list
    to_w = open_offer(state, owner, cid, "w")
    assert to_w.opportunity_id == "B"
    assert to_w.expires_at - to_w.offered_at == timedelta(hours=48)
    declined = wl.decline(state, owner, cid, to_w.id)
    assert declined.changed and declined.offer.status == "declined"
    to_z = open_offer(state, owner, cid, "z")  # passed to the next: z (rank 2)
    assert to_z.opportunity_id == "B"
    assert wl.accept(state, owner, cid, to_z.id).changed
    assert seats(state.db, cid)["z"] == "B"
    # z stays on A's list (ranked better than B); v is now the only one waiting on B.
    queues = {
        o.opportunity_id: [p.participant_id for p in o.queue]
        for o in wl.view(state, owner, cid).opportunities
    }
    assert queues == {"A": ["z"], "B": ["v"], "C": ["v"]}
    campaigns.withdraw(state, owner, cid, "a")  # A frees: offered to z, who holds B
    to_z_a = open_offer(state, owner, cid, "z")
    assert to_z_a.opportunity_id == "A"
    done = wl.accept(state, owner, cid, to_z_a.id)
    assert done.offer.released == "B"  # the old seat freed ...
    assert [(f.participant_id, f.opportunity_id) for f in done.filled.offered] == [
        ("v", "B")
    ]  # ... and cascaded
    assert seats(state.db, cid) == {"z": "A", "c": "C"}
    to_v = open_offer(state, owner, cid, "v")
    wl.accept(state, owner, cid, to_v.id)
    assert seats(state.db, cid) == {"z": "A", "c": "C", "v": "B"}
    # v took B (rank 2) and waits on C (rank 1) still; nobody waits on A or B.
    queues = {
        o.opportunity_id: [p.participant_id for p in o.queue]
        for o in wl.view(state, owner, cid).opportunities
    }
    assert queues == {"A": [], "B": [], "C": ["v"]}
    statuses = {(p, o): s for _, p, o, s in offers(state.db, cid)}
    assert statuses == {
        ("w", "B"): "declined",
        ("z", "B"): "accepted",
        ("z", "A"): "accepted",
        ("v", "B"): "accepted",
    }
    confirmed = {
        (r.participant_id, r.opportunity_id)
        for r in campaigns.list_preferences(state, owner, cid)
        if r.status == "confirmed"
    }
    assert confirmed == {("z", "A"), ("c", "C"), ("v", "B")}  # confirmed still means "holds this seat"


def test_accepting_twice_counts_once_and_a_decided_offer_is_refused(state: State) -> None:
    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    campaigns.withdraw(state, owner, cid, "a")
    offer = open_offer(state, owner, cid, "z")
    assert wl.accept(state, owner, cid, offer.id).changed
    again = wl.accept(state, owner, cid, offer.id)
    assert not again.changed and again.offer.status == "accepted"
    assert list(seats(state.db, cid).values()).count("A") == 1
    with pytest.raises(ConflictError) as refused:
        wl.decline(state, owner, cid, offer.id)
    assert refused.value.code == "OFFER_NOT_OPEN" and refused.value.field == "offer_id"


def test_an_expired_offer_passes_to_the_next_and_cannot_be_accepted(state: State) -> None:
    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    wl.set_offer_hours(state, owner, cid, 2)
    campaigns.withdraw(state, owner, cid, "b")
    to_w = open_offer(state, owner, cid, "w")
    assert to_w.expires_at - to_w.offered_at == timedelta(hours=2)
    late = to_w.expires_at + timedelta(seconds=1)
    with pytest.raises(ConflictError) as refused:
        wl.accept(state, owner, cid, to_w.id, now=late)
    assert refused.value.code == "OFFER_EXPIRED"
    # The expiry was committed although the accept was refused: the seat went to z.
    assert [(p, o, s) for _, p, o, s in offers(state.db, cid)] == [("w", "B", "expired"), ("z", "B", "open")]
    assert "w" not in [p.participant_id for o in wl.view(state, owner, cid).opportunities for p in o.queue]
    # The periodic sweep does the same without any request.
    to_z = open_offer(state, owner, cid, "z")
    assert wl.sweep(state.db, now=to_z.expires_at) == 1
    assert [s for *_, s in offers(state.db, cid)] == ["expired", "expired", "open"]  # on to v
    assert wl.sweep(state.db, now=to_z.expires_at) == 0  # idempotent


def test_fill_is_idempotent_and_capacity_changes_are_honoured(state: State) -> None:
    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    set_capacity(state.db, cid, "B", 3)  # two more seats on B
    made = wl.fill_free_seats(state, owner, cid)
    assert sorted((f.participant_id, f.opportunity_id) for f in made.offered) == [("w", "B"), ("z", "B")]
    assert wl.fill_free_seats(state, owner, cid).offered == []  # nothing twice
    with state.db.write() as conn:  # the caller's transaction works too
        assert wl.fill_free_seats(conn, owner, cid).offered == []
    set_capacity(state.db, cid, "B", 2)  # cut: the newest open offer is withdrawn, nobody unseated
    cut = wl.fill_free_seats(state, owner, cid)
    assert [(f.participant_id, f.reason) for f in cut.withdrawn] == [("z", "capacity")]
    view = {o.opportunity_id: o for o in wl.view(state, owner, cid).opportunities}
    assert view["B"].seated + len(view["B"].offers) == 2 and view["B"].free == 0
    # z's place is kept (they did not decline): a seat freed later reaches them again.
    assert [p.participant_id for p in view["B"].queue][:2] == ["w", "z"]


def test_the_lottery_orders_equal_ranks_reproducibly_from_the_seed(state: State) -> None:
    owner = new_org(state)
    people = [f"p{i:02d}" for i in range(12)]
    ranked: dict[str, list[str | None]] = {p: ["A"] for p in ["h", *people]}
    cid = finalized(state, owner, {"A": 1}, ranked, seed=7)
    view = wl.view(state, owner, cid)
    assert view.seed == "7"
    (holder,) = seats(state.db, cid)  # one seat, one of 13 equal first choices
    waiting = [p.participant_id for p in view.opportunities[0].queue]

    def draw(p: str) -> int:  # the documented draw, computed here on its own
        return int.from_bytes(hashlib.sha256(f"7:{p}".encode()).digest()[:8], "big") >> 1

    assert waiting == sorted((p for p in ["h", *people] if p != holder), key=draw)
    again = finalized(state, owner, {"A": 1}, ranked, seed=7)  # same seed, same order
    assert [p.participant_id for p in wl.view(state, owner, again).opportunities[0].queue] == waiting


def test_another_organization_sees_and_decides_nothing(state: State) -> None:
    owner, other = new_org(state), new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    campaigns.withdraw(state, owner, cid, "a")
    offer = open_offer(state, owner, cid, "z")
    for attempt in (
        lambda: wl.accept(state, other, cid, offer.id),
        lambda: wl.decline(state, other, cid, offer.id),
        lambda: wl.view(state, other, cid),
        lambda: wl.list_offers(state, other, cid),
        lambda: wl.fill_free_seats(state, other, cid),
        lambda: wl.set_offer_hours(state, other, cid, 5),
        lambda: campaigns.withdraw(state, other, cid, "z"),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    other_cid = finalized(
        state, other, CAPACITY, RANKED, **HOLD
    )  # an offer id of one campaign is not another's
    with pytest.raises(NotFoundError):
        wl.accept(state, other, other_cid, offer.id)
    assert open_offer(state, owner, cid, "z").status == "open"


def test_bad_settings_and_unknown_things_are_refused(state: State) -> None:
    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    for hours in (0, -1, 10**6):
        with pytest.raises(InputError) as bad:
            wl.set_offer_hours(state, owner, cid, hours)
        assert bad.value.field == "offer_hours"
    with pytest.raises(NotFoundError):
        wl.accept(state, owner, cid, 999_999)
    with pytest.raises(NotFoundError):
        wl.view(state, owner, cid, opportunity_id="nope")
    with pytest.raises(NotFoundError):
        campaigns.withdraw(state, owner, cid, "nobody")


def test_before_finalize_there_is_no_waitlist(state: State) -> None:
    owner = new_org(state)
    cid = campaigns.create_campaign(state, owner, "c", "rank", {}).campaign.id
    assert wl.fill_free_seats(state, owner, cid) == wl.Filled()
    view = wl.view(state, owner, cid)
    assert view.started_at is None and view.opportunities == []


def test_score_mode_waits_by_score_and_leaves_out_what_is_below_min_score(state: State) -> None:
    owner = new_org(state)
    scored = [
        {"participant_id": "h", "opportunity_id": "A", "score": 5.0},
        {"participant_id": "lo", "opportunity_id": "A", "score": 0.5},
        {"participant_id": "hi", "opportunity_id": "A", "score": 0.9},
        {"participant_id": "no", "opportunity_id": "A", "score": 0.1},  # below min_score
    ]
    cid = finalized(state, owner, {"A": 1}, {}, scored=scored, min_score=0.2)
    assert seats(state.db, cid) == {"h": "A"}
    (a,) = wl.view(state, owner, cid).opportunities
    assert [(p.participant_id, p.score) for p in a.queue] == [("hi", 0.9), ("lo", 0.5)]  # higher first


def test_finalize_undo_is_refused_once_a_seat_was_offered_and_clears_the_waitlists_before(
    state: State,
) -> None:
    from flok.app import changes

    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    assert wl.view(state, owner, cid).started_at is not None
    changes.undo_finalize(state, owner, cid, actor="test")  # no offer yet: allowed
    assert wl.view(state, owner, cid).started_at is None
    assert all(not o.queue for o in wl.view(state, owner, cid).opportunities)

    campaigns.finalize(state, owner, cid)  # the waitlists start afresh
    assert {o.opportunity_id: len(o.queue) for o in wl.view(state, owner, cid).opportunities}["B"] == 3
    wl.set_offer_hours(state, owner, cid, 1.0)
    set_capacity(state.db, cid, "B", CAPACITY["B"] + 1)
    made = wl.fill_free_seats(state, owner, cid)
    assert [o.participant_id for o in made.offered] == ["w"]
    with pytest.raises(ConflictError, match="first seat offered"):
        changes.undo_finalize(state, owner, cid, actor="test")


def test_an_accepted_offer_is_a_version_so_an_older_draft_cannot_overwrite_it(state: State) -> None:
    from flok.app import changes

    owner = new_org(state)
    cid = finalized(state, owner, CAPACITY, RANKED, **HOLD)
    campaigns.withdraw(state, owner, cid, "b")  # B frees: offered to w
    draft = changes.propose_move(state, owner, cid, "a", None, actor="test")  # computed before
    assert wl.accept(state, owner, cid, open_offer(state, owner, cid, "w").id).changed
    assert seats(state.db, cid)["w"] == "B"
    versions = changes.list_versions(state, owner, cid)
    assert versions[0].kind == "change" and "accepted" in versions[0].reason  # newest first
    with pytest.raises(ConflictError) as stale:
        changes.commit(state, owner, cid, draft, actor="test")
    assert stale.value.code == "STALE_DRAFT"
    assert seats(state.db, cid)["w"] == "B"
