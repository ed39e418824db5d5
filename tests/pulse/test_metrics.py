"""Metrics against small hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from flok import metrics

H = 3600.0


def test_fill_rate_caps_each_opportunity_at_its_capacity() -> None:
    assert metrics.fill_rate(np.array([5, 1, 0]), np.array([4, 2, 2])) == pytest.approx(5 / 8)
    assert metrics.fill_rate(np.array([0]), np.array([0])) is None


def test_oversubscription_is_refused_attempts_over_attempts() -> None:
    # Issue 17 item 5: from recorded outcomes (refused as full ÷ attempts), not inferred.
    assert metrics.oversubscription_rate(1, 4) == pytest.approx(1 / 4)
    assert metrics.oversubscription_rate(2, 2) == 1.0
    assert metrics.oversubscription_rate(0, 0) is None
    with pytest.raises(ValueError):
        metrics.oversubscription_rate(3, 2)


def test_inclusion_gap_and_matched_share() -> None:
    matched = np.array([1, 1, 1, 0, 0], dtype=bool)
    first = np.array([0, 0, 1, 1, 0], dtype=bool)
    assert metrics.matched_share(matched) == pytest.approx(0.6)
    assert metrics.inclusion_gap(matched, first) == pytest.approx(0.5 - 0.6)
    assert metrics.inclusion_gap(matched, np.zeros(5, dtype=bool)) is None


def test_time_to_first_and_within_24h() -> None:
    joined = np.zeros(11)
    first = np.array([*range(1, 11), np.nan]) * H
    got = metrics.time_to_first(joined, first)
    assert got == {"median_hours": pytest.approx(5.5), "p90_hours": pytest.approx(9.1), "count": 10}
    first_match = np.array([2 * H, 30 * H, np.nan])
    assert metrics.matched_within(np.array([0.0, 0.0, 0.0]), first_match, 24) == pytest.approx(1 / 3)
    # a participant without a join time is left out of the denominator
    assert metrics.matched_within(np.array([0.0, np.nan]), np.array([1 * H, 1 * H])) == 1.0


def test_gini_extremes() -> None:
    assert metrics.gini(np.array([3, 3, 3, 3])) == pytest.approx(0.0)
    assert metrics.gini(np.array([0, 0, 0, 12])) == pytest.approx(3 / 4)
    assert metrics.gini(np.array([0, 0])) is None
    with pytest.raises(ValueError):
        metrics.gini(np.array([-1, 2]))


def test_history_metrics_from_an_event_log() -> None:
    from flok.pulse import Events, Opportunities, ParticipantProfiles, history_metrics

    opps = Opportunities.build(["a", "b"], [1, 5])
    people = ParticipantProfiles.build(["u", "v", "w"], joined_at=[0.0, 0.0, 0.0])
    log = Events.build(
        opps,
        participant_id=["v", "u", "u", "w", "v", "w"],
        opportunity_id=["a", "a", "a", "a", "b", "a"],
        action=["accepted", "shown", "full", "shown", "accepted", "full"],
        at=[10 * H, 1 * H, 30 * H, 2 * H, 40 * H, 35 * H],
    )
    got = history_metrics(log, opps, people)
    # attempts: v→a (10 h, seated), u→a (30 h, refused full), w→a (35 h, refused), v→b (40 h)
    assert got["oversubscription_rate"] == pytest.approx(2 / 4)
    assert (got["rsvp_attempts"], got["rsvp_refused"]) == (4, 2)
    # first RSVPs (seats got): v at 10 h; u and w were refused
    assert got["time_to_first_rsvp"] == {"median_hours": 10.0, "p90_hours": pytest.approx(10.0), "count": 1}
    assert got["matched_within_24h"] == pytest.approx(1 / 3)
    assert got["exposure_gini"] == pytest.approx(0.5)  # both impressions on "a", none on "b"


def test_history_oversubscription_counts_recorded_refusals_only() -> None:
    """Issue 17 item 5: A accepts, A declines, B accepts the one seat: nobody was refused
    (was 0.5, inferred first come first served as if A still held the seat)."""
    from flok.pulse import Events, Opportunities, ParticipantProfiles, history_metrics

    opps = Opportunities.build(["a"], [1])
    people = ParticipantProfiles.build(["A", "B", "C"])
    log = Events.build(
        opps,
        participant_id=["A", "A", "B"],
        opportunity_id=["a", "a", "a"],
        action=["accepted", "declined", "accepted"],
        at=[1 * H, 2 * H, 3 * H],
    )
    assert history_metrics(log, opps, people)["oversubscription_rate"] == 0.0
    refused = Events.build(
        opps,
        participant_id=["A", "A", "B", "C"],
        opportunity_id=["a"] * 4,
        action=["accepted", "declined", "accepted", "full"],
        at=[1 * H, 2 * H, 3 * H, 4 * H],
    )
    assert history_metrics(refused, opps, people)["oversubscription_rate"] == pytest.approx(1 / 3)
