"""Rebalance is optimal (brute force and Hungarian oracles) and steers people off hot opportunities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from flok.pulse import (
    Events,
    FitConfig,
    FitScorer,
    Market,
    Opportunities,
    ParticipantProfiles,
    RebalanceConfig,
    adjusted_score,
    market,
    rebalance,
)

from .builders import at, blocked, north, random_community


def _random_events(opps: Opportunities, n: int, seed: int, per_opportunity: int = 3) -> Events:
    rng = np.random.default_rng(seed)
    k = per_opportunity * len(opps)
    return Events.build(
        opps,
        participant_id=[f"p{i}" for i in rng.integers(0, n + 3, k)],
        opportunity_id=list(rng.choice(opps.ids, k)),
        action=list(rng.choice(["shown", "clicked", "accepted", "declined"], k)),
        at=[at(float(h)) for h in rng.uniform(0, 10, k)],
    )


def _values(scorer: FitScorer, state, min_score: float) -> np.ndarray:
    """S_adj of every pair, −inf where the pair may not be recommended."""
    n, m = len(scorer.participants), len(scorer.opportunities)
    out = np.full((n, m), -np.inf)
    attending = blocked(
        scorer.opportunities, set(zip(*state.attending(scorer.participants.ids), strict=True)), n
    )
    for p in range(n):
        fit = scorer.evaluate(np.full(m, p), np.arange(m))
        s_adj = adjusted_score(fit.score, state.pulse)
        for o in range(m):
            if not (fit.too_far[o] or fit.unavailable[o] or (p, o) in attending or s_adj[o] < min_score):
                out[p, o] = s_adj[o]
    return out


def _check_feasible(result, values: np.ndarray, remaining: np.ndarray) -> float:
    seats = result.seat
    assert np.all(np.bincount(seats[seats >= 0], minlength=len(remaining)) <= remaining)
    chosen = values[np.flatnonzero(seats >= 0), seats[seats >= 0]]
    assert np.all(np.isfinite(chosen))
    return float(chosen.sum())


@pytest.mark.parametrize("seed", range(12))
def test_tiny_rebalance_equals_brute_force(seed: int) -> None:
    people, opps = random_community(5, 3, seed, max_capacity=2)
    state = market(opps, _random_events(opps, 5, seed, per_opportunity=1))
    scorer = FitScorer(people, opps, FitConfig(max_km=20, min_coverage=0.5))
    min_score = 0.3
    result = rebalance(scorer, state, RebalanceConfig(top_k=None, min_score=min_score))
    values = _values(scorer, state, min_score)
    best = 0.0
    for choice in itertools.product(range(-1, 3), repeat=5):
        load = np.bincount([c for c in choice if c >= 0], minlength=3)
        if np.any(load > state.remaining):
            continue
        total = sum(values[p, c] for p, c in enumerate(choice) if c >= 0)
        best = max(best, total)
    assert _check_feasible(result, values, state.remaining) == pytest.approx(best, abs=1e-6)
    assert result.metrics["objective"] == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_medium_rebalance_equals_hungarian_on_expanded_seats(seed: int) -> None:
    people, opps = random_community(70, 9, seed + 100, max_capacity=8)
    state = market(opps, _random_events(opps, 70, seed))
    scorer = FitScorer(people, opps, FitConfig(max_km=15))
    result = rebalance(scorer, state, RebalanceConfig(top_k=None))
    values = _values(scorer, state, 0.0)
    seat_opp = np.repeat(np.arange(len(opps)), state.remaining)
    n = len(people)
    # one column per remaining seat, plus one "no seat" column per participant (value 0)
    gain = np.hstack([values[:, seat_opp], np.zeros((n, n))])
    cost = np.where(np.isfinite(gain), -gain, 1e6)
    rows, cols = linear_sum_assignment(cost)
    best = float(-cost[rows, cols].sum())
    assert _check_feasible(result, values, state.remaining) == pytest.approx(best, abs=1e-5)


def test_top_k_cut_keeps_feasibility_and_costs_little_here() -> None:
    people, opps = random_community(80, 12, seed=7)
    state = market(opps, _random_events(opps, 80, 7))
    scorer = FitScorer(people, opps)
    full = rebalance(scorer, state, RebalanceConfig(top_k=None))
    cut = rebalance(scorer, state, RebalanceConfig(top_k=2))
    assert cut.metrics["candidates"] <= 2 * len(people) < full.metrics["candidates"]
    assert cut.metrics["objective"] <= full.metrics["objective"] + 1e-9
    _check_feasible(cut, _values(scorer, state, 0.0), state.remaining)


def _scenario(hot_clicks: int) -> tuple[FitScorer, Market]:
    opps = Opportunities.build(
        ["hot", "alt"],
        [10, 10],
        start=[at(19), at(19)],
        end=[at(21), at(21)],
        lat=[north(0), north(-1.5)],
        lon=[4.9, 4.9],
        tags=[["jazz", "live"], ["jazz", "folk"]],
    )
    people = ParticipantProfiles.build(
        ["high", "mid"],
        interests=[["jazz", "live"], ["jazz", "chess", "art"]],
        lat=[north(0), north(5)],
        lon=[4.9, 4.9],
        availability=[[(at(18), at(22))], [(at(18), at(22))]],
    )
    others = [f"x{i}" for i in range(8)]
    clickers = [f"c{i}" for i in range(hot_clicks)]
    events = Events.build(
        opps,
        participant_id=others + clickers,
        opportunity_id=["hot"] * (len(others) + hot_clicks),
        action=["accepted"] * len(others) + ["clicked"] * hot_clicks,
        at=[at(-48)] * len(others) + [at(float(h)) for h in np.linspace(9, 10, hot_clicks)],
    )
    return FitScorer(people, opps), market(opps, events, at=10 * 3600 + at(0).timestamp())


def test_hot_event_pulse_rises_and_mid_fit_participant_is_routed_to_alternative() -> None:
    quiet_scorer, quiet = _scenario(hot_clicks=0)
    fit = quiet_scorer.evaluate(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])).score
    high_hot, high_alt, mid_hot, mid_alt = fit
    # premises: "high" loves the hot event; "mid" likes both about equally, hot a little more
    assert high_hot - high_alt > 0.2 and 0 < mid_hot - mid_alt < 0.05 and 0.5 < mid_hot < 0.8
    assert quiet.remaining.tolist() == [2, 10]  # the hot event has room for both

    before = rebalance(quiet_scorer, quiet).seat_of()
    assert quiet.pulse[0] < 51
    assert before == {"high": "hot", "mid": "hot"}

    # 150 clicks in an hour on the last 2 seats: just past "High demand", where λ·(pulse − 50)
    # is about 0.22, more than mid's lead of the hot event (0.02), less than high's (0.34).
    busy_scorer, busy = _scenario(hot_clicks=150)
    assert 70 < busy.pulse[0] < 80 and busy.labels(0)[0] == "High demand"
    assert busy.pulse[1] == pytest.approx(50.0)
    after = rebalance(busy_scorer, busy)
    assert after.seat_of() == {"high": "hot", "mid": "alt"}
    assert after.metrics["fill_rate_after"] == pytest.approx((8 + 2) / 20)
