"""Issue 17 item 8: the pressure scale, the calibration procedure and normalised fit terms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flok.errors import InputError
from flok.pulse import (
    Events,
    FitConfig,
    FitScorer,
    Opportunities,
    ParticipantProfiles,
    PulseConfig,
    market,
    market_pulse,
    pressure,
)
from flok.pulse.calibrate import calibrate, fit_gaps, floor2, round2, signals
from flok.pulse.demand import K_DEFAULT, LAM_DEFAULT

from .builders import at, north

H = 3600.0
CFG = PulseConfig()


def test_pressure_is_demand_to_come_per_seat_left() -> None:
    now = at(12).timestamp()
    # 6 seats, 2 taken, sign-up closes 1 h before a 19:00 start: 6 h of the 24 h horizon left.
    x = pressure(3.0, 6, 2, at(19).timestamp(), now, CFG)
    assert float(x) == pytest.approx(3.0 * (6 / 12) / 4)
    # More than the horizon ahead: capped at 24 h (2 τ); no fixed time: the whole horizon.
    assert float(pressure(3.0, 6, 2, at(19 + 72).timestamp(), now, CFG)) == pytest.approx(3.0 * 2 / 4)
    assert float(pressure(3.0, 6, 2, np.nan, now, CFG)) == pytest.approx(3.0 * 2 / 4)
    # Sign-up closed or started: nothing left to come, neutral.
    assert float(pressure(3.0, 6, 2, at(12.5).timestamp(), now, CFG)) == 0.0
    # Full: counted against one seat, so demand on a full opportunity still reads hot.
    assert float(pressure(3.0, 6, 6, at(19).timestamp(), now, CFG)) == pytest.approx(3.0 * 0.5)
    assert math.isnan(float(pressure(3.0, 0, 0, at(19).timestamp(), now, CFG)))


def test_the_same_clicks_weigh_more_on_the_last_seats() -> None:
    """Issue 17 item 8: RSVPs capped by capacity could lift pulse to at most 54.98."""
    start, now = at(36).timestamp(), at(12).timestamp()
    roomy = float(market_pulse(5.0, 40, 0, start, now, CFG))
    tight = float(market_pulse(5.0, 40, 39, start, now, CFG))
    assert 50 < roomy < 53 and tight > 70
    # Every seat taken by RSVPs in the last hours reaches "High demand" before it is full:
    cap = 5
    demand = cap * 0.96  # five RSVPs, about an hour old
    assert float(market_pulse(demand, cap, cap - 1, start, now, CFG)) > CFG.high_demand_pulse
    assert float(market_pulse(0.0, cap, 0, start, now, CFG)) == 50.0  # neutral stays at 50
    assert float(market_pulse(-1.5, cap, 0, start, now, CFG)) < 50.0  # declines: cold


def _log(rows: list[tuple[str, str, str, float]], opps: Opportunities) -> Events:
    return Events.build(
        opps,
        participant_id=[r[0] for r in rows],
        opportunity_id=[r[1] for r in rows],
        action=[r[2] for r in rows],
        at=[at(r[3]) for r in rows],
    )


def _two() -> Opportunities:
    return Opportunities.build(
        ["hot", "calm"], [2, 5], start=[at(48), at(48)], end=[at(50), at(50)], tags=[["jazz"], ["jazz"]]
    )


def test_k_puts_the_median_over_demanded_signal_at_high_demand() -> None:
    opps = _two()
    log = _log(
        [
            ("a", "hot", "clicked", 10.0),
            ("a", "hot", "accepted", 11.0),  # 1 of 2 seats: pressure read here (1 left)
            ("b", "hot", "accepted", 12.0),  # full now: not read
            ("c", "hot", "full", 12.5),
            ("d", "calm", "clicked", 10.0),
        ],
        opps,
    )
    signal, ran_out = signals(opps, log, CFG)
    assert ran_out.tolist() == [True, False]
    # after the 11:00 accept: D = 0.2·e^(−1/12) + 1, 24 h horizon (start 48 h away), 1 seat left
    d = 0.2 * math.exp(-1 / 12) + 1.0
    assert signal[0] == pytest.approx(d * 2 / 1)
    assert signal[1] == pytest.approx(0.2 * 2 / 5)
    result = calibrate(opps, log)
    k = floor2(signal[0] / math.log(0.7 / 0.3))
    assert 0.9 * signal[0] / math.log(0.7 / 0.3) < k <= signal[0] / math.log(0.7 / 0.3)
    assert result.config.k == k and result.over_demanded == 1
    assert result.reached_high == 1.0 and result.false_alarms == 0.0
    assert result.lam_source == "default" and result.config.lam == CFG.lam


def test_a_log_where_nothing_ran_out_cannot_calibrate_k() -> None:
    opps = _two()
    with pytest.raises(InputError, match="k cannot be calibrated"):
        calibrate(opps, _log([("a", "hot", "clicked", 1.0)], opps))


def test_fit_gaps_and_lambda_from_people_options() -> None:
    owner = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 2])
    best = np.array([0.9, 0.5, 0.7, 0.6, 0.3, 0.8, 0.2, 0.1, 0.7, 0.5])
    # person 0: 0.9 − 4th best 0.5; person 1: 0.8 − 0.2; person 2 has too few options
    np.testing.assert_allclose(np.sort(fit_gaps(best, owner, 3)), [0.4, 0.6])
    # λ: four opportunities at 0, 1, 2, 3 km; one person who likes them all (same tags):
    # S_i = 0.3·(1 − km/25)/0.8 + 0.5/0.8 → S₁ − S₄ = 0.3·(3/25)/0.8 = 0.045 → λ = 0.045/20.
    opps = Opportunities.build(
        ["a", "b", "c", "d", "hot"],
        [3, 3, 3, 3, 1],
        start=[at(48)] * 5,
        end=[at(50)] * 5,
        lat=[north(0), north(1), north(2), north(3), north(0)],
        lon=[4.9] * 5,
        tags=[["jazz"]] * 4 + [["chess"]],
    )
    people = ParticipantProfiles.build(["p"], interests=[["jazz"]], lat=[north(0)], lon=[4.9])
    log = _log([("x", "hot", "clicked", 0.5), ("x", "hot", "accepted", 1.0), ("y", "hot", "full", 2.0)], opps)
    result = calibrate(opps, log, scorer=FitScorer(people, opps))
    assert result.fit_gap_median == pytest.approx(0.3 * (3 / 25) / 0.8, abs=1e-6)
    assert abs(result.config.lam - 0.045 / 20) <= 0.00005 + 1e-12  # 0.00225 to two digits
    assert result.lam_source == "fit"


def test_rounding_keeps_two_significant_digits() -> None:
    assert round2(0.0073456) == 0.0073 and round2(0.0) == 0.0
    assert floor2(10.42) == 10.0 and floor2(0.01079) == 0.01 and floor2(2.799) == 2.7


def test_config_loads_old_files_refuses_unknown_keys_and_round_trips() -> None:
    old = {"tau_hours": 6, "k": 5, "lambda": 0.004, "weights": {"clicked": 0.3}}
    cfg = PulseConfig.from_dict(old)  # written before horizon_hours existed
    assert (cfg.tau_hours, cfg.k, cfg.lam, cfg.horizon_hours) == (6.0, 5.0, 0.004, 24.0)
    assert cfg.weight("clicked") == 0.3
    assert PulseConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(InputError, match="unknown pulse setting 'kk'"):
        PulseConfig.from_dict({"kk": 1})
    with pytest.raises(InputError, match="k must be a number"):
        PulseConfig.from_dict({"k": "five"})
    with pytest.raises(InputError, match="lam must be ≥ 0"):
        PulseConfig.from_dict({"lam": -1})


@pytest.mark.slow
def test_defaults_are_the_calibration_of_the_reference_simulation() -> None:
    """K_DEFAULT and LAM_DEFAULT are not magic numbers: they are this procedure's output on the
    simulator's reference log (docs/pulse.md, "Calibration")."""
    from flok.pulse.demand import ACTIONS
    from flok.sim.policies import POLICIES
    from flok.sim.regimes import REFERENCE
    from flok.sim.run import prepare, run_policy

    com, pairs = prepare(REFERENCE)
    who, opp, action, t = run_policy(REFERENCE, com, pairs, POLICIES["fit_open"]).events
    log = Events.build(
        com.opportunities,
        participant_id=com.participants.ids[who],
        opportunity_id=com.opportunities.ids[opp],
        action=np.array(ACTIONS, dtype=object)[action],
        at=t,
    )
    result = calibrate(
        com.opportunities, log, scorer=FitScorer(com.participants, com.opportunities, REFERENCE.fit)
    )
    assert (result.config.k, result.config.lam) == (K_DEFAULT, LAM_DEFAULT)
    assert result.reached_high >= 0.5  # the median over-demanded one reaches "High demand"


def test_each_fit_term_can_change_a_ranking_and_none_is_a_free_floor() -> None:
    """Issue 17 item 8: with the old scale every eligible pair had S ≥ 0.2 from the schedule
    term alone, which never changed a ranking."""
    opps = Opportunities.build(
        ["both", "half", "near", "nothing", "early"],
        [1] * 5,
        start=[at(19)] * 4 + [at(18)],
        end=[at(21)] * 4 + [at(20)],
        lat=[north(5), north(5), north(1), north(25), north(5)],
        lon=[4.9] * 5,
        tags=[["jazz", "chess"], ["jazz", "golf"], ["jazz", "golf"], ["golf"], ["jazz", "golf"]],
    )
    people = ParticipantProfiles.build(
        ["p"], interests=[["jazz", "chess"]], lat=[north(0)], lon=[4.9], availability=[[(at(19), at(22))]]
    )
    me = np.zeros(5, np.int64)
    s = FitScorer(people, opps, FitConfig()).evaluate(me, np.arange(5)).score
    assert s[0] > s[1]  # interest alone (1.0 against 0.5, same place and time)
    assert s[2] > s[1]  # distance alone (1 km against 5 km)
    assert s[3] == pytest.approx(0.0, abs=1e-9)  # nothing shared, at the limit: 0, not 0.2
    # The schedule decides when it is a score (min_coverage < 1): 19–21 inside the 19–22 window
    # against 18–20, half inside; rescaled from min_coverage (0) to full (1), weight 0.2 of 1.0.
    lenient = FitScorer(people, opps, FitConfig(min_coverage=0.5)).evaluate(me, np.arange(5))
    assert lenient.coverage[[1, 4]].tolist() == [1.0, 0.5]
    assert lenient.score[1] - lenient.score[4] == pytest.approx(0.2)


def test_market_pulse_is_what_the_market_reads() -> None:
    opps = _two()
    log = _log([("a", "hot", "accepted", 10.0), ("b", "hot", "clicked", 11.0)], opps)
    m = market(opps, log, at=at(12).timestamp())
    expected = market_pulse(m.demand, opps.capacity, m.confirmed, opps.start, m.at, m.config)
    np.testing.assert_allclose(m.pulse, expected)
    assert m.pulse[1] == 50.0 and m.pulse[0] > 50.0
