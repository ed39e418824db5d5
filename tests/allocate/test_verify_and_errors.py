"""The verifier catches every kind of broken allocation; infeasibility is explained."""

from __future__ import annotations

import numpy as np
import pytest

import flok


def _problem(**options: object) -> flok.Problem:
    return flok.Problem.from_records(
        opportunities=[
            {"opportunity_id": "A", "capacity": 1},
            {"opportunity_id": "B", "capacity": 2},
            {"opportunity_id": "C", "capacity": 0},
        ],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "x", "opportunity_id": "B", "rank": 2},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1},
            {"participant_id": "z", "opportunity_id": "B", "rank": 1},
        ],
        options=options,
    )


def test_valid_allocation_has_no_violations() -> None:
    p = _problem()
    assert flok.verify(p, np.array([0, 1, 2]), np.array([1, 0, 1])) == []


@pytest.mark.parametrize(
    ("part", "opp", "needle"),
    [
        ([0, 1], [0, 0], "2 participants for 1 seats"),  # over capacity
        ([0, 0], [0, 1], "holds 2 seats"),  # two seats
        ([1], [1], "did not accept"),  # unranked pair
        ([0], [2], "for 0 seats"),  # zero-capacity opportunity
        ([7], [0], "out of range"),
    ],
)
def test_violations_are_reported(part: list[int], opp: list[int], needle: str) -> None:
    found = flok.verify(_problem(), np.array(part), np.array(opp))
    assert any(needle in v for v in found), found


def test_unranked_pair_is_fine_with_fill_unlisted_and_missing_seat_is_not() -> None:
    p = _problem(fill_unlisted=True, allow_unassigned=False)
    assert flok.verify(p, np.array([0, 1, 2]), np.array([1, 0, 1])) == []
    found = flok.verify(p, np.array([0, 1]), np.array([1, 0]))
    assert any("no seat" in v for v in found)


def test_infeasible_error_names_count_and_bottleneck() -> None:
    p = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "Lab", "capacity": 2}, {"opportunity_id": "Free", "capacity": 9}],
        preferences=[{"participant_id": f"s{i}", "opportunity_id": "Lab", "rank": 1} for i in range(5)]
        + [{"participant_id": "t", "opportunity_id": "Free", "rank": 1}],
        participants=[{"participant_id": f"s{i}"} for i in range(5)]
        + [{"participant_id": "t"}, {"participant_id": "lonely"}],
        options={"allow_unassigned": False},
    )
    with pytest.raises(flok.InfeasibleError) as info:
        flok.allocate(p)
    err = info.value
    assert err.unseated == 4
    assert err.bottleneck == ["Lab"]
    text = str(err)
    assert "4 participant(s) cannot be seated" in text
    assert "5 participants accept only opportunities Lab, which have 2 seats" in text
    assert "1 participant(s) list no acceptable opportunity (lonely)" in text


def test_unknown_participant_in_preferences_is_an_input_error() -> None:
    with pytest.raises(flok.InputError) as info:
        flok.Problem.from_records(
            opportunities=[{"opportunity_id": "A", "capacity": 1}],
            preferences=[{"participant_id": "ghost", "opportunity_id": "A", "rank": 1}],
            participants=[{"participant_id": "x"}],
        )
    assert info.value.field == "participant_id" and info.value.row == 1


def test_fill_unlisted_with_scores_is_rejected() -> None:
    with pytest.raises(flok.InputError, match="fill_unlisted needs ranked"):
        flok.Problem.from_records(
            opportunities=[{"opportunity_id": "A", "capacity": 1}],
            preferences=[{"participant_id": "x", "opportunity_id": "A", "score": 1}],
            options={"fill_unlisted": True},
        )


def test_participants_without_preferences_are_reported_unassigned() -> None:
    p = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 3}],
        preferences=[{"participant_id": "x", "opportunity_id": "A", "rank": 1}],
        participants=[{"participant_id": "x"}, {"participant_id": "quiet"}],
    )
    result = flok.allocate(p)
    assert result.seat_of() == {"x": "A", "quiet": None}
    assert result.stats.rank_histogram["unassigned"] == 1
