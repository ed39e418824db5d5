"""Feed order (eligible by S_adj, then ineligible by soonest start) and the codes of ineligible ones."""

from __future__ import annotations

import numpy as np
import pytest

from flok.pulse import Events, FitConfig, FitScorer, Opportunities, ParticipantProfiles, feed, market

from .builders import at, north


def _world() -> tuple[FitScorer, Events]:
    # me: available 18–22 on day 0, at lat 52.0, likes music and jazz, going to "mine" 21–22
    opps = Opportunities.build(
        ["best", "good", "far", "late", "full", "mine", "far_late", "clash"],
        [5, 5, 5, 5, 1, 5, 5, 5],
        title=["Best", "Good", "Far", "Late", "Full", "Mine", "Far and late", "Clash"],
        start=[at(19), at(19), at(20), at(23), at(19), at(21), at(18), at(21.5)],
        end=[at(21), at(21), at(21), at(24), at(20), at(22), at(26), at(22)],
        lat=[north(1), north(8), north(40), north(1), north(1), north(1), north(60), north(1)],
        lon=[4.9] * 8,
        tags=[["music", "jazz"], ["music"], ["music"], ["jazz"], ["jazz"], ["music"], [], ["jazz"]],
    )
    people = ParticipantProfiles.build(
        ["me", "other"],
        interests=[["music", "jazz"], ["chess"]],
        lat=[north(0), north(0)],
        lon=[4.9, 4.9],
        availability=[[(at(18), at(22))], []],
    )
    events = Events.build(
        opps,
        participant_id=["other", "me", "x"],
        opportunity_id=["full", "mine", "best"],
        action=["accepted", "accepted", "clicked"],
        at=[at(1), at(2), at(3)],
    )
    return FitScorer(people, opps, FitConfig(max_km=25)), events


def test_feed_orders_eligible_by_adjusted_score_then_ineligible_by_start() -> None:
    scorer, events = _world()
    items = feed("me", scorer, market(scorer.opportunities, events))
    assert [i.opportunity_id for i in items] == [
        "best",
        "good",
        "far_late",
        "full",
        "far",
        "mine",
        "clash",
        "late",
    ]
    eligible = [i for i in items if i.eligible]
    assert [i.opportunity_id for i in eligible] == ["best", "good"]
    assert eligible[0].score >= eligible[1].score
    assert all(not i.codes and not i.why_not for i in eligible)
    assert eligible[0].reasons[0] == "shares 2 interests (jazz, music)"


def test_feed_codes_and_texts() -> None:
    scorer, events = _world()
    by_id = {i.opportunity_id: i for i in feed(0, scorer, market(scorer.opportunities, events))}
    assert by_id["far"].codes == ["TOO_FAR"]
    assert by_id["far"].why_not == ["40.0 km away, beyond your 25 km"]
    assert by_id["late"].codes == ["NOT_IN_AVAILABILITY"]
    assert by_id["full"].codes == ["FULL"] and by_id["full"].labels == ["Full"]
    assert by_id["mine"].codes == ["ALREADY_ATTENDING"]
    # going to "mine" (21–22) blocks that hour: "clash" (21:30–22) is out, "best" (19–21) is not
    assert by_id["clash"].codes == ["NOT_IN_AVAILABILITY"]
    assert by_id["clash"].why_not == ["overlaps something you are going to (Mine)"]
    assert by_id["best"].eligible
    assert by_id["far_late"].codes == ["TOO_FAR", "NOT_IN_AVAILABILITY"]
    assert by_id["far_late"].why_not[1] == "only 50% of it is in your availability"
    for item in by_id.values():
        assert len(item.codes) == len(item.why_not)
        assert item.eligible == (not item.codes)


def test_feed_adjusted_score_follows_pulse() -> None:
    scorer, events = _world()
    state = market(scorer.opportunities, events)
    items = feed("me", scorer, state)
    for item in items:
        o = list(scorer.opportunities.ids).index(item.opportunity_id)
        assert item.score == pytest.approx(item.fit - state.config.lam * (state.pulse[o] - 50))
    assert np.isclose(state.pulse[1], 50.0)  # no events on "good"


@pytest.mark.parametrize("limit", [0, 1, 3, 8, 20])
def test_feed_limit_keeps_the_head_of_the_full_feed(limit: int) -> None:
    scorer, events = _world()
    m = market(scorer.opportunities, events)
    assert feed("me", scorer, m, limit=limit) == feed("me", scorer, m)[:limit]
