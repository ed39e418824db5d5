"""The waitlist rules (``flok.waitlist``): order by rank then a seeded lottery, offers in that
order, and the cascade's invariants under random events (hypothesis)."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flok import waitlist as rules

IDS = st.text(alphabet="abcdefghij", min_size=1, max_size=4)


def draw(seed: int, participant: str) -> int:
    """The documented lottery, computed here on its own: sha256 of "seed:id", first 63 bits."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{participant}".encode()).digest()[:8], "big") >> 1


@given(st.integers(), st.dictionaries(IDS, st.integers(1, 4), min_size=1, max_size=20), st.randoms())
def test_a_waitlist_is_ordered_by_rank_then_the_seeded_lottery(
    seed: int, ranks: dict[str, int], rnd: object
) -> None:
    entries = [rules.Entry(p, "A", float(r), rules.lottery_number(seed, p)) for p, r in ranks.items()]
    shuffled = list(entries)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    ordered = [e.participant_id for e in rules.in_order(shuffled)]
    assert ordered == sorted(ranks, key=lambda p: (ranks[p], draw(seed, p), p))
    # Reproducible, and independent of who else is listed: dropping one keeps the others' order.
    again = [rules.Entry(p, "A", float(r), rules.lottery_number(seed, p)) for p, r in ranks.items()]
    assert [e.participant_id for e in rules.in_order(again)] == ordered
    gone = ordered[0]
    rest = [e.participant_id for e in rules.in_order(e for e in entries if e.participant_id != gone)]
    assert rest == ordered[1:]


def test_different_seeds_draw_different_orders() -> None:
    people = [f"p{i}" for i in range(30)]
    orders = {tuple(sorted(people, key=lambda p: rules.lottery_number(s, p))) for s in range(5)}
    assert len(orders) == 5


@given(
    st.dictionaries(st.sampled_from("ABC"), st.integers(0, 3)),
    st.lists(st.tuples(st.sampled_from("pqrstu"), st.sampled_from("ABC"), st.integers(1, 3)), max_size=15),
    st.sets(st.tuples(st.sampled_from("pqrstu"), st.sampled_from("ABC"))),
)
def test_free_seats_go_to_the_first_waiting_without_an_offer(
    free: dict[str, int], listed: list[tuple[str, str, int]], holding: set[tuple[str, str]]
) -> None:
    waiting: dict[str, list[rules.Entry]] = {}
    seen = set()
    for p, o, r in listed:
        if (p, o) not in seen:
            seen.add((p, o))
            waiting.setdefault(o, []).append(rules.Entry(p, o, float(r), rules.lottery_number(1, p)))
    made = rules.next_offers(free, waiting, holding)
    per_opp = Counter(e.opportunity_id for e in made)
    for o, queue in waiting.items():
        eligible = [e for e in rules.in_order(queue) if (e.participant_id, o) not in holding]
        assert [e for e in made if e.opportunity_id == o] == eligible[: free.get(o, 0)]
        assert per_opp[o] <= free.get(o, 0)
    assert len(set((e.participant_id, e.opportunity_id) for e in made)) == len(made)


PEOPLE = [f"p{i}" for i in range(7)]
OPPS = ["A", "B", "C"]
Event = st.one_of(
    st.tuples(st.just("accept"), st.integers(0, 30)),
    st.tuples(st.just("decline"), st.integers(0, 30)),
    st.tuples(st.just("withdraw"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("capacity"), st.sampled_from(OPPS), st.integers(0, 3)),
    st.tuples(st.just("wait"), st.integers(1, 3)),
)


@st.composite
def campaigns(draw_: st.DrawFn) -> rules.Waitlists:
    capacity = {o: draw_(st.integers(0, 2)) for o in OPPS}
    preferences: dict[tuple[str, str], float] = {}
    for p in PEOPLE:
        listed = draw_(st.permutations(OPPS))[: draw_(st.integers(1, 3))]
        for i, o in enumerate(listed):
            preferences[(p, o)] = float(i + 1)
    # A feasible starting allocation: some people seated on something they listed, within capacity.
    seats: dict[str, str] = {}
    for p in PEOPLE:
        mine = [o for (q, o) in preferences if q == p]
        choice: str | None = draw_(st.sampled_from([None, *mine]))
        if choice is not None and sum(1 for s in seats.values() if s == choice) < capacity[choice]:
            seats[p] = choice
    return rules.Waitlists.start(capacity, seats, preferences, draw_(st.integers()), offer_seconds=2.0)


@settings(max_examples=200, deadline=None)
@given(campaigns(), st.lists(Event, max_size=25))
def test_the_cascade_keeps_every_invariant(model: rules.Waitlists, events: list[tuple[Any, ...]]) -> None:
    now = 0.0
    model.fill(now)
    start = dict(model.seats)
    for event in events:
        kind = event[0]
        if kind == "accept" and model.offers:
            f = model.offers[event[1] % len(model.offers)]
            was_open, before = f.status == "open" and f.expires_at > now, model.seats.get(f.participant_id)
            assert model.accept(f.id, now) == was_open
            if was_open:
                assert model.seats[f.participant_id] == f.opportunity_id and f.released == before
                if before is not None:  # a move is always to something ranked better
                    assert (
                        model.preferences[(f.participant_id, f.opportunity_id)]
                        < model.preferences[(f.participant_id, before)]
                    )
                assert model.accept(f.id, now) is False  # twice counts once
        elif kind == "decline" and model.offers:
            f = model.offers[event[1] % len(model.offers)]
            was_open = f.status == "open" and f.expires_at > now
            assert model.decline(f.id, now) == was_open
            if was_open:  # they leave that waitlist (only that one)
                assert (f.participant_id, f.opportunity_id) not in model.entries
        elif kind == "withdraw":
            model.withdraw(event[1], now)
            assert event[1] not in model.seats and all(k[0] != event[1] for k in model.entries)
        elif kind == "capacity":
            model.set_capacity(event[1], event[2], now)
        elif kind == "wait":
            now += event[1]
            model.fill(now)
        assert model.violations() == []
        _offers_follow_the_queue(model, now)
    # Seats never appear from nowhere: each holder started there or accepted an offer of it.
    accepted = {(f.participant_id, f.opportunity_id) for f in model.offers if f.status == "accepted"}
    for p, o in model.seats.items():
        assert start.get(p) == o or (p, o) in accepted


def _offers_follow_the_queue(model: rules.Waitlists, now: float) -> None:
    """Work-conserving and in order: a free seat with someone waiting is offered, and nobody
    waiting without an offer stands ahead of someone holding one."""
    seated = Counter(model.seats.values())
    open_ = model.open_offers()
    assert all(f.expires_at > now for f in open_)  # nothing open past its deadline after a fill
    offered = Counter(f.opportunity_id for f in open_)
    holding = {(f.participant_id, f.opportunity_id) for f in open_}
    for o, cap in model.capacity.items():
        queue = rules.in_order(e for e in model.entries.values() if e.opportunity_id == o)
        without = [e for e in queue if (e.participant_id, o) not in holding]
        if without:
            assert seated[o] + offered[o] >= cap, f"{o} has a free seat and {without[0]} waits"
            first_without = queue.index(without[0])
            assert all((e.participant_id, o) not in holding for e in queue[first_without:]), o
