"""Only what a person can still join is offered (issue 17 items 1–2): not started, not within the
sign-up lead time, not full, not joined; and events from the future are refused."""

from __future__ import annotations

import numpy as np
import pytest

from flok.pulse import (
    Events,
    FitScorer,
    Opportunities,
    ParticipantProfiles,
    PulseConfig,
    feed,
    joinable,
    market,
    rebalance,
)

from .builders import at, north

H = 3600.0


def _world() -> tuple[FitScorer, Events]:
    """Evening of day 1 (hour 24 = midnight): "ended" was yesterday, "ongoing" runs now (hour 44),
    "soon" starts within the hour, "later" and "tomorrow" are open, "anytime" has no time."""
    ids = ["ended", "ongoing", "soon", "later", "tomorrow", "anytime"]
    opps = Opportunities.build(
        ids,
        [5] * 6,
        title=[i.title() for i in ids],
        start=[at(19), at(43), at(44.5), at(47), at(66), None],
        end=[at(21), at(46), at(46), at(49), at(68), None],
        lat=[north(1)] * 6,
        lon=[4.9] * 6,
        tags=[["music"]] * 6,
    )
    people = ParticipantProfiles.build(
        [f"p{i}" for i in range(6)], interests=[["music"]] * 6, lat=[north(0)] * 6, lon=[4.9] * 6
    )
    events = Events.build(
        opps,
        participant_id=["x", "y", "z"],
        opportunity_id=["ended", "ended", "ongoing"],
        action=["clicked", "clicked", "accepted"],
        at=[at(10), at(11), at(12)],
    )
    return FitScorer(people, opps), events


def test_joinable_rule() -> None:
    start = np.array([0.0, 10.0, 100.0, 3700.0, np.nan])
    cfg = PulseConfig()  # lead 1 h
    assert joinable(start, None, 10.0, cfg).tolist() == [False, False, False, True, True]
    assert joinable(start, np.array([1, 1, 1, 0, 2]), 10.0, cfg).tolist() == [False] * 4 + [True]
    assert joinable(start, None, 10.0, PulseConfig(lead_hours=0)).tolist() == [False, False, True, True, True]


def test_feed_offers_only_what_can_still_be_joined() -> None:
    scorer, events = _world()
    now = at(44).timestamp()
    items = feed("p0", scorer, market(scorer.opportunities, events, at=now))
    by_id = {i.opportunity_id: i for i in items}
    assert [i.opportunity_id for i in items if i.eligible] == ["anytime", "later", "tomorrow"]
    assert by_id["ended"].codes == ["STARTED"] and by_id["ongoing"].codes == ["STARTED"]
    assert by_id["soon"].codes == ["SIGNUP_CLOSED"]
    assert by_id["soon"].why_not == ["it starts within 1 h; sign-up has closed"]
    # ineligible: the upcoming one first, those that started last
    assert [i.opportunity_id for i in items if not i.eligible] == ["soon", "ended", "ongoing"]


def test_rebalance_never_recommends_started_or_imminent_events() -> None:
    """Issue 17 item 1: a past event was recommended to 5 of 6 people."""
    scorer, events = _world()
    result = rebalance(scorer, market(scorer.opportunities, events, at=at(44).timestamp()))
    chosen = {s for s in result.seat_of().values() if s is not None}
    assert chosen <= {"later", "tomorrow", "anytime"}
    assert result.metrics["recommended"] == 6
    # two days later only the untimed one is left
    late = rebalance(scorer, market(scorer.opportunities, events, at=at(100).timestamp()))
    assert set(late.seat_of().values()) == {"anytime", None}


def test_lead_time_is_configurable() -> None:
    scorer, events = _world()
    cfg = PulseConfig(lead_hours=0.25)
    state = market(scorer.opportunities, events, at=at(44).timestamp(), config=cfg)
    assert {i.opportunity_id for i in feed("p0", scorer, state) if i.eligible} == {
        "soon",
        "later",
        "tomorrow",
        "anytime",
    }


def test_an_event_from_the_future_is_refused() -> None:
    """Issue 17 item 2: one event stamped a year ahead froze its opportunity's demand."""
    scorer, _ = _world()
    opps = scorer.opportunities
    now = at(12).timestamp()
    log = Events.build(
        opps,
        participant_id=["a", "b", "c"],
        opportunity_id=["later", "later", "later"],
        action=["accepted", "accepted", "accepted"],
        at=[at(10), at(24 * 365), at(11)],
    )
    with pytest.raises(ValueError, match="in the future") as err:
        market(opps, log, now=now)
    assert err.value.row == 2 and err.value.field == "at"  # type: ignore[attr-defined]
    # within the clock-skew tolerance (default 300 s) it counts
    ok = Events.build(
        opps,
        participant_id=["a", "b"],
        opportunity_id=["later", "later"],
        action=["accepted", "accepted"],
        at=[at(10), now + 200],
    )
    state = market(opps, ok, now=now)
    assert state.demand[3] == pytest.approx(1 + np.exp(-(now + 200 - at(10).timestamp()) / (12 * H)))
    with pytest.raises(ValueError, match="in the future"):
        market(opps, ok, now=now, config=PulseConfig(clock_skew_seconds=100))


def test_capacity_zero_is_closed_and_never_offered() -> None:
    """Issue 17 item 3: capacity 0 got pulse 100 and "High demand"."""
    opps = Opportunities.build(["none", "some"], [0, 2], start=[at(30), at(30)], end=[at(31), at(31)])
    people = ParticipantProfiles.build(["p"])
    log = Events.build(
        opps, participant_id=["x"] * 3, opportunity_id=["none"] * 3, action=["accepted"] * 3, at=[at(1)] * 3
    )
    state = market(opps, log)
    assert np.isnan(state.pulse[0]) and state.labels(0) == ["Closed"]
    items = {i.opportunity_id: i for i in feed("p", FitScorer(people, opps), state)}
    assert not items["none"].eligible and items["none"].labels == ["Closed"]
