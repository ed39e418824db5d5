"""Hand-computed tiny scenarios: every metric of a run checked against numbers worked out by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flok.pulse import FitScorer, Opportunities, ParticipantProfiles
from flok.sim import POLICIES, SimConfig
from flok.sim.community import DAY, HOUR, T0, Community
from flok.sim.pairs import possible_pairs
from flok.sim.run import run_policy

# Deterministic behaviour: everyone awake opens the app every step, clicks and RSVPs to every
# item with utility 1, and gives up at the first "Full".
SURE = SimConfig(
    participants=5,
    opportunities=2,
    days=4,
    click_rate=1.0,
    position_decay=1.0,
    rsvp_mid=0.0,
    rsvp_width=0.01,
    attempts_per_session=1,
    give_up_after_full=1.0,
    give_up_after_full_first_timer=1.0,
    quit_after_empty_session=0.0,
    invite_seen=1.0,
)


def tiny() -> Community:
    """Jazz (2 seats, day 3 19–21 h) where everyone lives; Far (4 seats) 100+ km away.

    Four regulars (joined at the start) and one first-timer who joins 30 h in. Interests
    {music, chess} vs tags {music, jazz}: 1 shared of min(2, 2) → interest 0.5; distance 0 km
    → 1; no availability windows → schedule 1, a gate with min_coverage 1 (its weight set
    aside). S = (0.5·0.5 + 0.3·1)/0.8 = 0.6875, and an appeal of +0.3125 makes the click
    probability exactly 1.
    """
    start = T0 + 3 * DAY + 19 * HOUR
    opps = Opportunities.build(
        ["jazz", "far"],
        [2, 4],
        start=[start, start],
        end=[start + 2 * HOUR, start + 2 * HOUR],
        lat=[52.37, 53.50],
        lon=[4.90, 4.90],
        tags=[["music", "jazz"], ["music", "jazz"]],
    )
    people = ParticipantProfiles.build(
        [f"p{i}" for i in range(5)],
        interests=[["music", "chess"]] * 5,
        lat=[52.37] * 5,
        lon=[4.90] * 5,
        first_timer=[False, False, False, False, True],
        joined_at=[T0] * 4 + [T0 + 30 * HOUR],
    )
    return Community(
        participants=people,
        opportunities=opps,
        created_at=np.array([T0, T0]),
        appeal=np.array([0.3125, 0.3125]),
        session_rate=np.full(5, 1000.0),
        wanted=np.ones(5, dtype=np.int64),
        t0=T0,
        end=T0 + 4 * DAY,
    )


def run(policy: str, config: SimConfig = SURE):
    com = tiny()
    pairs = possible_pairs(FitScorer(com.participants, com.opportunities, config.fit))
    return run_policy(config, com, pairs, POLICIES[policy])


def test_possible_pairs_score_fit_by_hand() -> None:
    com = tiny()
    pairs = possible_pairs(FitScorer(com.participants, com.opportunities, SURE.fit))
    # "far" is beyond max_km for everyone, so each participant has exactly one pair: jazz at 0.6875.
    assert pairs.opportunity.tolist() == [0] * 5
    assert pairs.fit == pytest.approx([0.6875] * 5)
    assert pairs.indptr.tolist() == [0, 1, 2, 3, 4, 5]


def test_fcfs_metrics_by_hand() -> None:
    out = run("fcfs")
    m = out.metrics
    # 07:00 on day 0: the four regulars try jazz (2 seats): 2 seated, 2 "Full" and gone.
    # 07:00 on day 1 the first-timer sees jazz (fcfs shows full ones), tries it: "Full".
    assert out.counts["attempts"] == 5
    assert out.counts["full"] == 3
    assert m["oversubscription_rate"] == pytest.approx(3 / 5)
    assert m["fill_rate"] == pytest.approx(2 / (2 + 4))
    assert m["matched_share"] == pytest.approx(2 / 5)
    assert m["matched_24h_share"] == pytest.approx(2 / 5)  # seated 7 h after joining
    assert m["ttf_rsvp_median_h"] == pytest.approx(7.0)
    assert m["ttf_rsvp_p90_h"] == pytest.approx(7.0)
    assert m["inclusion_gap"] == pytest.approx(0.0 - 2 / 5)
    # Impressions [5, 0]: sorted (0, 5), Gini = 2·(1·0 + 2·5)/(2·5) − 3/2 = 0.5.
    assert m["exposure_gini"] == pytest.approx(0.5)
    assert m["mean_fit"] == pytest.approx(0.6875)


def test_flok_hides_full_so_the_newcomer_meets_no_dead_end() -> None:
    out = run("flok")
    # Same first morning (a race for the last seats), but once jazz is full flok stops
    # showing it: 4 attempts, 2 "Full"; the first-timer never sees it, so 0 impressions.
    assert out.counts["attempts"] == 4
    assert out.metrics["oversubscription_rate"] == pytest.approx(2 / 4)
    assert out.metrics["exposure_gini"] == pytest.approx(0.5)  # impressions (4, 0)


def test_reserve_keeps_a_seat_for_the_first_timer() -> None:
    cfg = replace(SURE, reserve_share=0.5)
    out = run("flok_inclusion", cfg)
    # floor(0.5·2) = 1 seat held back until 48 h before the start (day 1, 19:00): the regulars
    # race for 1 seat (1 seated, 3 "Full"); the first-timer joins at 30 h and at 07:00 on day
    # 1 (31 h, before the release) takes the held seat, 1 h after joining: TTF (7 h, 1 h).
    assert out.counts["attempts"] == 5
    assert out.counts["full"] == 3
    assert out.metrics["matched_share"] == pytest.approx(2 / 5)
    assert out.metrics["inclusion_gap"] == pytest.approx(1.0 - 2 / 5)
    assert out.metrics["ttf_rsvp_median_h"] == pytest.approx((7.0 + 1.0) / 2)


def test_sign_up_closes_lead_hours_before_the_start() -> None:
    """Issue 17 item 1 in the simulator: the product's ``joinable`` rule decides what is listed.
    Jazz starts at 19:00 on day 3; with sign-up closing 4 days ahead nothing is ever listed."""
    from flok.pulse import PulseConfig

    for policy in ("fcfs", "flok"):
        out = run(policy, replace(SURE, pulse=PulseConfig(lead_hours=4 * 24)))
        assert out.counts["attempts"] == 0 and out.counts["invites"] == 0
        assert np.isnan(out.pulse_history).all()
