"""Fit components, eligibility, reasons, the RSVP model, and the vectorized candidate search."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from flok.io.rsvp_model import read_rsvp_model, write_rsvp_model
from flok.pulse import (
    Events,
    FitConfig,
    FitScorer,
    Opportunities,
    PairFit,
    ParticipantProfiles,
    RebalanceConfig,
    RsvpModel,
    adjusted_score,
    candidates,
    haversine_km,
    market,
    training_data,
)
from flok.pulse.community import pad_windows

from .builders import at, blocked, no_events, north, random_community


def test_haversine_one_degree_of_latitude() -> None:
    assert haversine_km(np.array(0.0), np.array(0.0), np.array(1.0), np.array(0.0)) == pytest.approx(
        111.195, abs=1e-3
    )
    # equator to pole is a quarter of the great circle: π/2 · 6371.0088 km
    assert haversine_km(np.array(0.0), np.array(10.0), np.array(90.0), np.array(0.0)) == pytest.approx(
        10007.557, abs=1e-3
    )
    # spherical law of cosines: cos c = sin²60° + cos²60°·cos 60° = 0.875
    assert haversine_km(np.array(60.0), np.array(0.0), np.array(60.0), np.array(60.0)) == pytest.approx(
        6371.0088 * math.acos(0.875), rel=1e-9
    )


def _one(
    interests: list[str],
    tags: list[str],
    km: float | None,
    windows: list[tuple[float, float]],
    start: float | None = 19.0,
    end: float | None = 21.0,
    config: FitConfig | None = None,
) -> tuple[FitScorer, PairFit]:
    opps = Opportunities.build(
        ["o"],
        [10],
        start=[None if start is None else at(start)],
        end=[None if end is None else at(end)],
        lat=[52.0] if km is not None else [None],
        lon=[4.9] if km is not None else [None],
        tags=[tags],
    )
    people = ParticipantProfiles.build(
        ["p"],
        interests=[interests],
        lat=[north(km)] if km is not None else [None],
        lon=[4.9] if km is not None else [None],
        availability=[[(at(a), at(b)) for a, b in windows]],
    )
    scorer = FitScorer(people, opps, config)
    return scorer, scorer.evaluate(np.array([0]), np.array([0]))


def test_components_and_score_by_hand() -> None:
    # 2 shared of min(3, 2) tags → 1.0; 5 km of 25 → 0.8; inside the window → 1.0
    scorer, fit = _one(["Music", "jazz", "chess"], ["music", "jazz"], 5.0, [(18, 22)])
    assert fit.shared[0] == 2 and fit.interest[0] == pytest.approx(1.0)
    assert fit.km[0] == pytest.approx(5.0, abs=1e-6)
    assert fit.distance[0] == pytest.approx(0.8)
    assert fit.coverage[0] == 1.0
    # With min_coverage 1 the schedule is a gate (every eligible pair is fully covered), so its
    # weight is set aside: S = (0.5·1.0 + 0.3·0.8) / 0.8.
    assert fit.score[0] == pytest.approx((0.5 * 1.0 + 0.3 * 0.8) / 0.8)
    assert not fit.too_far[0] and not fit.unavailable[0]
    assert scorer.reasons(fit, 0) == [
        "shares 2 interests (jazz, music)",
        "5.0 km away",
        "fits your availability",
    ]


def test_partial_overlap_far_away_and_no_shared_interest() -> None:
    scorer, fit = _one(["chess"], ["music"], 30.0, [(20, 23)])
    assert fit.coverage[0] == pytest.approx(0.5)  # 20–21 of 19–21
    assert fit.unavailable[0] and fit.too_far[0]
    assert fit.interest[0] == 0.0 and fit.distance[0] == 0.0
    assert scorer.reasons(fit, 0) == [
        "no shared interests",
        "30.0 km away",
        "50% of it is in your availability",
    ]
    _, lenient = _one(["chess"], ["music"], 30.0, [(20, 23)], config=FitConfig(min_coverage=0.5, max_km=31))
    assert not lenient.unavailable[0] and not lenient.too_far[0]


def test_missing_location_time_or_windows_are_neutral_not_excluding() -> None:
    scorer, fit = _one(["music"], ["music"], None, [], start=None, end=None)
    assert np.isnan(fit.km[0]) and fit.distance[0] == 0.5
    assert fit.coverage[0] == 1.0 and not fit.too_far[0] and not fit.unavailable[0]
    assert scorer.reasons(fit, 0)[1:] == ["location not given", "no fixed time"]
    # an instant inside a window is covered, outside it is not
    assert _one(["x"], ["y"], 1.0, [(18, 20)], start=19, end=19)[1].coverage[0] == 1.0
    assert _one(["x"], ["y"], 1.0, [(18, 20)], start=21, end=21)[1].coverage[0] == 0.0


def test_overlapping_and_touching_windows_are_merged() -> None:
    s, e = pad_windows(
        np.array([0, 0, 0, 1]), np.array([18.0, 20.0, 23.0, 5.0]), np.array([20.0, 22.0, 24.0, 6.0]), 3
    )
    assert s[0].tolist() == [18.0, 23.0] and e[0].tolist() == [22.0, 24.0]
    assert s[1, 0] == 5.0 and np.isnan(s[1, 1]) and np.isnan(s[2]).all()


def test_rsvp_model_learns_direction_and_round_trips_as_json(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((2000, 3))
    p = 1 / (1 + np.exp(-(4 * x[:, 0] - 2)))  # only interest matters
    model = RsvpModel.fit(x, rng.random(2000) < p)
    assert model.coef[0] > 2 and abs(model.coef[1]) < 1 and abs(model.coef[2]) < 1
    path = tmp_path / "model.json"
    write_rsvp_model(model, path)
    assert json.loads(path.read_text())["features"] == ["interest", "distance", "schedule"]
    loaded = read_rsvp_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))
    with pytest.raises(ValueError):
        RsvpModel.fit(x, np.ones(2000, dtype=bool))


def test_training_data_labels_pairs_with_an_accept() -> None:
    people, opps = random_community(3, 2, seed=1)
    events = Events.build(
        opps,
        participant_id=["p0", "p0", "p1", "stranger"],
        opportunity_id=["o0", "o0", "o1", "o1"],
        action=["shown", "accepted", "shown", "accepted"],
        at=[at(1), at(2), at(3), at(4)],
    )
    scorer = FitScorer(people, opps)
    x, y = training_data(scorer, events)
    assert x.shape == (2, 3) and y.tolist() == [True, False]  # (p0, o0) accepted; (p1, o1) only shown
    with_model = FitScorer(people, opps, model=RsvpModel(np.array([1.0, 0.0, 0.0]), -0.5))
    fit = with_model.evaluate(np.array([0]), np.array([0]))
    assert fit.score[0] == pytest.approx(1 / (1 + np.exp(-(fit.interest[0] - 0.5))))
    assert with_model.reasons(fit, 0)[-1].startswith("predicted RSVP chance")


def _oracle_candidates(scorer: FitScorer, state, top_k: int | None) -> set[tuple[int, int]]:
    """Every pair scored one by one, filtered and cut to the top K per participant."""
    n, m = len(scorer.participants), len(scorer.opportunities)
    attending = blocked(
        scorer.opportunities, set(zip(*state.attending(scorer.participants.ids), strict=True)), n
    )
    keep: set[tuple[int, int]] = set()
    for p in range(n):
        fit = scorer.evaluate(np.full(m, p), np.arange(m))
        s_adj = adjusted_score(fit.score, state.pulse)
        ok = [
            o
            for o in range(m)
            if not fit.too_far[o]
            and not fit.unavailable[o]
            and state.remaining[o] > 0
            and (p, o) not in attending
            and s_adj[o] >= 0.0  # RebalanceConfig's default min_score: S can now be 0
        ]
        ok.sort(key=lambda o: -s_adj[o])
        keep |= {(p, o) for o in ok[: top_k or m]}
    return keep


@pytest.mark.parametrize("min_coverage", [1.0, 0.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_candidates_match_pair_by_pair_oracle(seed: int, min_coverage: float) -> None:
    people, opps = random_community(60, 25, seed)
    events = Events.build(
        opps,
        participant_id=["p0", "p1", "x"],
        opportunity_id=["o0", "o1", "o1"],
        action=["accepted", "accepted", "clicked"],
        at=[at(1), at(2), at(3)],
    )
    state = market(opps, events)
    scorer = FitScorer(people, opps, FitConfig(max_km=12, min_coverage=min_coverage))
    for k in (None, 3):
        got = candidates(scorer, state, RebalanceConfig(top_k=k, chunk=7))
        pairs = set(zip(got.participant.tolist(), got.opportunity.tolist(), strict=True))
        assert len(pairs) == got.participant.size  # no pair twice
        if k is None:
            assert pairs == _oracle_candidates(scorer, state, None)
        else:
            # ties may pick either pair, so compare the kept S_adj values per participant
            oracle = _oracle_candidates(scorer, state, None)
            for p in range(len(people)):
                mine = sorted(got.score[got.participant == p], reverse=True)
                fit = scorer.evaluate(np.full(len(opps), p), np.arange(len(opps)))
                s_adj = adjusted_score(fit.score, state.pulse)
                best = sorted((s_adj[o] for q, o in oracle if q == p), reverse=True)[:k]
                np.testing.assert_allclose(mine, best)
        key = got.participant * len(opps) + got.opportunity
        assert np.all(np.diff(key) > 0)


def test_candidates_with_no_events_and_nobody_eligible() -> None:
    people, opps = random_community(5, 4, seed=3)
    scorer = FitScorer(people, opps, FitConfig(max_km=0.001))
    got = candidates(scorer, market(opps, no_events(opps)))
    assert got.participant.size == 0


def test_coverage_is_the_union_of_the_windows() -> None:
    """Issue 17 item 6: windows 18–19 and 19:30–21 against an 18–21 event cover 2.5 h of 3
    (0.833), not the best single window's 0.5."""
    scorer, fit = _one(["x"], ["x"], 1.0, [(18, 19), (19.5, 21)], start=18, end=21)
    assert fit.coverage[0] == pytest.approx(2.5 / 3)
    assert fit.unavailable[0]  # the default still asks for all of it
    assert scorer.reasons(fit, 0)[2] == "83% of it is in your availability"
    _, lenient = _one(
        ["x"], ["x"], 1.0, [(18, 19), (19.5, 21)], start=18, end=21, config=FitConfig(min_coverage=0.8)
    )
    assert not lenient.unavailable[0]


def test_partial_coverage_candidates_count_the_union() -> None:
    """The dense candidate mask (min_coverage < 1) agrees with ``coverage`` on split windows."""
    opps = Opportunities.build(["o"], [3], start=[at(18)], end=[at(21)], lat=[52.0], lon=[4.9])
    people = ParticipantProfiles.build(
        ["p"], lat=[52.0], lon=[4.9], availability=[[(at(18), at(19)), (at(19.5), at(21))]]
    )
    scorer = FitScorer(people, opps, FitConfig(min_coverage=0.8))
    got = candidates(scorer, market(opps, no_events(opps), at=at(0).timestamp()))
    assert got.participant.tolist() == [0]


def test_participant_without_location_rule_is_explicit() -> None:
    """Issue 17 item 7: a participant with no location was matched at any distance, silently.

    ``no_location="anywhere"`` (default): any distance, neutral distance 0.5, and the reason says
    so; ``"online_only"``: only opportunities without a location."""
    opps = Opportunities.build(
        ["sydney", "online"], [5, 5], lat=[-33.87, None], lon=[151.21, None], tags=[["music"], ["music"]]
    )
    people = ParticipantProfiles.build(["p"], interests=[["music"]])
    anywhere = FitScorer(people, opps)
    assert anywhere.config.no_location == "anywhere"
    fit = anywhere.evaluate(np.array([0, 0]), np.array([0, 1]))
    assert not fit.too_far.any() and fit.distance.tolist() == [0.5, 0.5]
    local = FitScorer(people, opps, FitConfig(no_location="online_only"))
    fit = local.evaluate(np.array([0, 0]), np.array([0, 1]))
    assert fit.too_far.tolist() == [True, False]
    got = candidates(local, market(opps, no_events(opps), at=at(0).timestamp()))
    assert got.opportunity.tolist() == [1]
    with pytest.raises(ValueError, match="no_location"):
        FitConfig(no_location="nowhere")  # type: ignore[arg-type]


def test_fit_weights_by_name() -> None:
    cfg = FitConfig.with_weights({"interest": 1.0, "schedule": 0.0}, max_km=10)
    assert cfg.weights() == {"interest": 1.0, "distance": 0.3, "schedule": 0.0} and cfg.max_km == 10
    with pytest.raises(ValueError, match="unknown fit weight"):
        FitConfig.with_weights({"charm": 1.0})
    with pytest.raises(ValueError, match="not all zero"):
        FitConfig.with_weights({"interest": 0, "distance": 0, "schedule": 0})
