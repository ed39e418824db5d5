"""Demand decay, pulse and labels against hand-computed values, plus order/idempotency properties."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flok.pulse import PulseConfig, adjusted_score, demand_at, ingest, labels, pulse, update
from flok.pulse.demand import pulse_one

H = 3600.0
TAU = 12 * H


def test_two_events_decay_to_the_closed_form_value() -> None:
    # accepted (+1) at 0 h, clicked (+0.2) at 6 h, read at 12 h with τ = 12 h:
    # 1·e^(−1) + 0.2·e^(−0.5) = 0.36787944 + 0.12130613
    d, t = update(0.0, None, 1.0, 0.0, tau_seconds=TAU)
    d, t = update(d, t, 0.2, 6 * H, tau_seconds=TAU)
    assert t == 6 * H
    assert demand_at(d, t, 12 * H, tau_seconds=TAU) == pytest.approx(0.48918557, abs=1e-8)


def test_late_event_is_decayed_by_its_age_and_keeps_t_ref() -> None:
    d, t = update(0.0, None, 1.0, 10 * H, tau_seconds=TAU)
    d, t = update(d, t, -0.5, 4 * H, tau_seconds=TAU)  # declined, 6 h before t_ref
    assert t == 10 * H
    assert d == pytest.approx(1.0 - 0.5 * 0.60653066, abs=1e-8)


def test_datetimes_and_epoch_seconds_agree() -> None:
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    d, t = update(0.0, None, 1.0, t0)
    d, t = update(d, t, 0.2, t0 + timedelta(hours=3))
    assert t == t0 + timedelta(hours=3)
    got = demand_at(d, t, t0 + timedelta(hours=12))
    assert got == pytest.approx(math.exp(-1.0) + 0.2 * math.exp(-9 / 12))


def test_reading_before_t_ref_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        demand_at(1.0, 10 * H, 9 * H, tau_seconds=TAU)


def test_ingest_matches_the_sum_and_honours_until() -> None:
    rng = np.random.default_rng(4)
    opp = rng.integers(0, 4, 300)
    w = rng.choice([0.0, 0.2, 1.0, -0.5], 300)
    t = rng.uniform(0, 48 * H, 300)
    cut = 30 * H
    state = ingest(opp, w, t, 5, tau_seconds=TAU, until=cut)
    expected = [
        sum(
            wi * math.exp(-(cut - ti) / TAU)
            for oi, wi, ti in zip(opp, w, t, strict=True)
            if oi == o and ti <= cut
        )
        for o in range(5)
    ]
    assert state.at(cut) == pytest.approx(expected, abs=1e-9)
    assert np.isnan(state.t_ref[4]) and state.demand[4] == 0.0  # no events at all


events = st.lists(
    st.tuples(
        st.integers(0, 2),  # opportunity
        st.sampled_from([0.0, 0.2, 1.0, -0.5]),  # weight
        st.floats(0, 96 * H, allow_nan=False),  # time
    ),
    min_size=1,
    max_size=40,
)


def _closed_form(evs: list[tuple[int, float, float]], at: float) -> list[float]:
    return [sum(w * math.exp(-(at - t) / TAU) for o, w, t in evs if o == k) for k in range(3)]


@settings(max_examples=60, deadline=None)
@given(evs=events, seed=st.integers(0, 2**32 - 1))
def test_folding_events_in_any_order_gives_the_sum(evs: list[tuple[int, float, float]], seed: int) -> None:
    order = np.random.default_rng(seed).permutation(len(evs))
    state: dict[int, tuple[float, float | None]] = {k: (0.0, None) for k in range(3)}
    for i in order:
        o, w, t = evs[i]
        state[o] = update(*state[o], w, t, tau_seconds=TAU)
    at = 100 * H
    got = [demand_at(d, ref, at, tau_seconds=TAU) for d, ref in (state[k] for k in range(3))]
    assert got == pytest.approx(_closed_form(evs, at), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(evs=events, repeats=st.lists(st.integers(0, 39), max_size=20), seed=st.integers(0, 2**32 - 1))
def test_ingest_counts_each_event_id_once_in_any_order(
    evs: list[tuple[int, float, float]], repeats: list[int], seed: int
) -> None:
    ids = [f"e{i}" for i in range(len(evs))]
    again = [i % len(evs) for i in repeats]
    rows = [(*evs[i], ids[i]) for i in [*range(len(evs)), *again]]
    rows = [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]
    opp, w, t, eid = zip(*rows, strict=True)
    state = ingest(
        np.array(opp), np.array(w), np.array(t), 3, tau_seconds=TAU, event_ids=np.array(eid, dtype=object)
    )
    assert state.at(100 * H) == pytest.approx(_closed_form(evs, 100 * H), abs=1e-9)


@given(
    d=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30),
    cap=st.integers(1, 500),
)
def test_pulse_is_bounded_and_monotone_in_demand(d: list[float], cap: int) -> None:
    values = pulse(np.sort(np.array(d)), cap)
    assert np.all((values >= 0) & (values <= 100))
    assert np.all(np.diff(values) >= 0)


@given(
    d=st.floats(-1e6, 1e6, allow_nan=False),
    cap=st.integers(0, 500),
    k=st.floats(0.1, 20),
)
def test_scalar_pulse_agrees_with_the_array_formula(d: float, cap: int, k: float) -> None:
    assert pulse_one(d, cap, k=k) == pytest.approx(
        float(pulse(d, cap, k=k)), rel=1e-12, abs=1e-12, nan_ok=True
    )


def test_pulse_reference_points_and_capacity_zero() -> None:
    assert pulse(0.0, 10) == pytest.approx(50.0)
    # D = k·capacity → 100·σ(1) = 73.1059
    assert pulse(50.0, 10, k=5) == pytest.approx(73.10586, abs=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Issue 17: no seats, no pulse (was 100 whatever the demand, and "High demand").
        assert np.isnan(pulse(np.array([0.0, 3.0, -3.0]), np.array([0, 0, 0]))).all()
    assert math.isnan(pulse_one(5.0, 0))


def test_adjusted_score_moves_by_lambda_times_the_distance_from_50() -> None:
    # Default λ = 0.01: at most ±0.5; "High demand" (70) costs 0.2.
    assert adjusted_score(0.5, 100.0) == pytest.approx(0.0)
    assert adjusted_score(0.5, 0.0) == pytest.approx(1.0)
    assert adjusted_score(0.5, 70.0) == pytest.approx(0.3)
    assert adjusted_score(0.5, 50.0) == pytest.approx(0.5)
    assert adjusted_score(0.5, 100.0, lam=0.004) == pytest.approx(0.3)


def test_labels_thresholds() -> None:
    assert labels(70.0, 10, 0) == ["High demand"]
    assert labels(69.9, 10, 0) == []
    assert labels(50.0, 10, 8) == ["Limited spots"]  # 2 of 10 left = 20 %
    assert labels(50.0, 10, 7) == []
    assert labels(90.0, 10, 10) == ["High demand", "Full"]
    assert labels(50.0, 0, 0) == ["Closed"]
    assert labels(60.0, 10, 7, PulseConfig(high_demand_pulse=60, limited_share=0.3)) == [
        "High demand",
        "Limited spots",
    ]


def test_config_rejects_unknown_actions_and_bad_tau() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        PulseConfig(weights={"liked": 1.0})
    with pytest.raises(ValueError, match="tau_hours"):
        PulseConfig(tau_hours=0)
    assert PulseConfig(weights={"accepted": 2.0}).weight("clicked") == 0.0


def test_confirmed_rsvps_follow_each_pairs_latest_accept_or_decline() -> None:
    from flok.pulse import Events, Opportunities

    opps = Opportunities.build(["a", "b"], [5, 5])
    events = Events.build(
        opps,
        participant_id=["u", "u", "v", "v", "w", "w", "x", "x"],
        opportunity_id=["a", "a", "a", "a", "b", "b", "b", "b"],
        action=[
            "accepted",
            "declined",
            "declined",
            "accepted",
            "accepted",
            "clicked",
            "declined",
            "accepted",
        ],
        at=[1.0, 2.0, 1.0, 2.0, 1.0, 5.0, 3.0, 3.0],  # x: same time, the later row wins
        event_id=["1", "2", "3", "4", "5", "6", "7", "8"],
    )
    who, which = events.attending()
    assert sorted(zip(who.tolist(), which.tolist(), strict=True)) == [("v", 0), ("w", 1), ("x", 1)]
    assert events.confirmed(2).tolist() == [1, 2]


def test_events_without_an_id_are_never_merged() -> None:
    from flok.pulse import Events, Opportunities, PulseConfig, demand_state

    opps = Opportunities.build(["a"], [5])
    log = Events.build(
        opps,
        participant_id=["u", "v", "w", "w"],
        opportunity_id=["a"] * 4,
        action=["accepted"] * 4,
        at=[0.0] * 4,
        event_id=[None, None, "k", "k"],
    )
    assert len(log.unique()) == 3
    assert demand_state(log, 1, PulseConfig()).demand.tolist() == [3.0]


def test_capacity_zero_is_closed_never_high_demand() -> None:
    """Issue 17 item 3: a capacity-0 opportunity was pulse 100 and "High demand"."""
    p = float(pulse(40.0, 0))
    assert math.isnan(p)
    assert labels(p, 0, 0) == ["Closed"]
    assert labels(100.0, 0, 0) == ["Closed"]


@pytest.mark.parametrize(
    ("capacity", "confirmed", "expected"),
    [
        (4, 0, []),
        (4, 2, ["Limited spots"]),
        (4, 3, ["Limited spots"]),
        (4, 4, ["Full"]),
        (3, 1, ["Limited spots"]),
        (1, 0, []),
        (2, 0, []),
        (2, 1, ["Limited spots"]),
        (10, 8, ["Limited spots"]),
        (10, 7, []),
        (40, 32, ["Limited spots"]),
        (40, 31, []),
    ],
)
def test_limited_spots_appears_on_small_opportunities(
    capacity: int, confirmed: int, expected: list[str]
) -> None:
    """Issue 17 item 4: ≤ 4 seats went straight to "Full" (20 % of 4 is 0.8 seats).

    "Limited spots" when some are taken and seats left ≤ max(20 % of capacity, 2 seats).
    """
    assert labels(50.0, capacity, confirmed) == expected


def test_limited_seats_is_configurable() -> None:
    assert labels(50.0, 10, 5, PulseConfig(limited_seats=5)) == ["Limited spots"]
    assert labels(50.0, 4, 3, PulseConfig(limited_seats=0)) == []
