"""The flow's allocation is optimal: checked against brute force and the Hungarian algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import flok
from flok.bench.generate import zipf_instance
from tests.oracles import brute_force, hungarian
from tests.strategies import problems


def _seats_and_cost(result: flok.Allocation) -> tuple[int, float]:
    if result.problem.rank is not None:
        return result.stats.seats, result.objective
    return result.stats.seats, -result.objective


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(mode="rank"))
def test_ranked_mode_matches_brute_force(problem: flok.Problem) -> None:
    best = brute_force(problem)
    if best is None:
        with pytest.raises(flok.InfeasibleError):
            flok.allocate(problem)
        return
    result = flok.allocate(problem)
    assert _seats_and_cost(result) == best
    assert flok.verify(problem, result.participant, result.opportunity) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(mode="score"))
def test_score_mode_matches_brute_force(problem: flok.Problem) -> None:
    best = brute_force(problem)
    if best is None:
        with pytest.raises(flok.InfeasibleError):
            flok.allocate(problem)
        return
    result = flok.allocate(problem)
    if not problem.options.allow_unassigned:
        assert result.stats.seats == problem.n_participants
    assert -result.objective == pytest.approx(best[1])
    assert flok.verify(problem, result.participant, result.opportunity) == []


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fill_unlisted", [False, True])
def test_medium_instances_match_hungarian(seed: int, fill_unlisted: bool) -> None:
    inst = zipf_instance(120, 12, seed=seed)
    problem = inst.problem(flok.Options(fill_unlisted=fill_unlisted))
    result = flok.allocate(problem)
    assert _seats_and_cost(result) == hungarian(problem)


def test_most_seats_beats_lower_total_rank() -> None:
    # Giving x their first choice would leave y without a seat: seats come first.
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "x", "opportunity_id": "B", "rank": 9},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1},
        ],
    )
    result = flok.allocate(problem)
    assert dict(result.assignments()) == {"x": "B", "y": "A"}
    assert result.objective == 10


def test_fill_unlisted_seats_people_whose_choices_are_full() -> None:
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1},
            {"participant_id": "y", "opportunity_id": "B", "rank": 3},
            {"participant_id": "z", "opportunity_id": "A", "rank": 1},
        ],
        options={"fill_unlisted": True},
    )
    plain = flok.allocate(problem.with_options(fill_unlisted=False))
    assert plain.stats.assigned == 2
    result = flok.allocate(problem)
    # Only two seats exist: still two seated, and nobody is moved to an unlisted seat needlessly.
    assert result.stats.assigned == 2
    assert result.stats.rank_histogram.get("unlisted", 0) == 0
    bigger = problem.with_options(fill_unlisted=True)
    more = flok.Problem.from_arrays(
        opportunity_ids=[*list(bigger.opportunity_ids), "C"],
        capacity=[1, 1, 2],
        pref_participant=bigger.pref_participant,
        pref_opportunity=bigger.pref_opportunity,
        rank=bigger.rank,
        participant_ids=bigger.participant_ids,
        options=bigger.options,
    )
    result = flok.allocate(more)
    assert result.stats.assigned == 3
    assert result.stats.rank_histogram["unlisted"] == 1
    # Unlisted seats cost max_rank + 2 = 5.
    assert result.objective == 1 + 3 + 5


def test_score_mode_prefers_total_score_over_seat_count() -> None:
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "score": 10},
            {"participant_id": "x", "opportunity_id": "B", "score": 1},
            {"participant_id": "y", "opportunity_id": "A", "score": 1},
        ],
    )
    assert flok.allocate(problem).assignments() == [("x", "A")]
    forced = flok.allocate(problem.with_options(allow_unassigned=False))
    assert sorted(forced.assignments()) == [("x", "B"), ("y", "A")]


def test_min_score_excludes_low_pairs() -> None:
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 5}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "score": 0.9},
            {"participant_id": "y", "opportunity_id": "A", "score": 0.2},
        ],
        options={"min_score": 0.5},
    )
    assert flok.allocate(problem).assignments() == [("x", "A")]


def test_fractional_scores_keep_their_units() -> None:
    rng = np.random.default_rng(3)
    n, m = 40, 6
    pp = np.repeat(np.arange(n), m)
    po = np.tile(np.arange(m), n)
    score = rng.uniform(0, 1, size=n * m)
    problem = flok.Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(m)],
        capacity=[5] * m,
        pref_participant=pp,
        pref_opportunity=po,
        score=score,
        n_participants=n,
    )
    result = flok.allocate(problem)
    best = hungarian(problem)
    assert result.objective == pytest.approx(-best[1], rel=1e-5)
