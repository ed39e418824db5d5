"""Issue 13, items 3, 5, 6, 7, 8: numbers are exact on every path, or refused naming the supported range.

Each known-answer test below failed before its fix; the optimum is checked against the
independent oracle (``tests/oracles.py``), which shares no code with the solvers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import flok
from flok.solvers.costs import lottery_scale
from tests.oracles import allocation_key, brute_force_rules, rule_violations

STRATEGIES = ("auto", "mip", "cp_sat")


def _exact(problem: flok.Problem, strategy: str) -> flok.Allocation:
    """Solve, then hold the answer to the verifier and to the independent oracle's optimum."""
    result = flok.allocate(problem, strategy)
    assert flok.verify(problem, result.participant, result.opportunity) == []
    assert rule_violations(problem, result.participant, result.opportunity) == []
    assert result.status == "optimal"
    assert allocation_key(problem, result.participant, result.opportunity) == brute_force_rules(problem)
    return result


# --- item 3: fractional soft-group penalties ------------------------------------------------------
def _three_friends(penalty: float, **options: Any) -> flok.Problem:
    """a, b, c are one soft group; together at A scores 30, each at their own table 32 in all.

    Splitting all three separates 3 pairs: worth it exactly when 3·penalty < 2.
    """
    return flok.Problem.from_records(
        opportunities=[
            {"opportunity_id": "A", "capacity": 3},
            {"opportunity_id": "X", "capacity": 1},
            {"opportunity_id": "Y", "capacity": 1},
            {"opportunity_id": "Z", "capacity": 1},
        ],
        preferences=[
            {"participant_id": p, "opportunity_id": o, "score": s}
            for p, own, mine in (("a", "X", 11), ("b", "Y", 11), ("c", "Z", 10))
            for o, s in (("A", 10), (own, mine))
        ],
        participants=[{"participant_id": p, "group": "g"} for p in "abc"],
        options={"group_mode": "soft", "group_penalty": penalty, **options},
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("penalty,split", [(0.6, True), (0.5, True), (0.7, False)])
def test_fractional_group_penalty_is_not_rounded(strategy: str, penalty: float, split: bool) -> None:
    # 0.6 was rounded to 1 (3 pairs cost 3 > 2: kept together); 0.7 must keep them together.
    result = _exact(_three_friends(penalty), strategy)
    assert (result.details["separated_pairs"] > 0) is split


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fractional_group_penalty_is_exact_under_a_lottery(strategy: str) -> None:
    result = _exact(_three_friends(0.6, seed=7), strategy)
    assert result.details["separated_pairs"] > 0


# --- item 6: penalties finer than 0.01 ------------------------------------------------------------
def _two_for_one_seat(rows: list[dict[str, Any]]) -> flok.Problem:
    return flok.Problem.from_records(opportunities=[{"opportunity_id": "A", "capacity": 1}], preferences=rows)


@pytest.mark.parametrize("strategy", ("auto", "native_flow", "min_cost_flow", "mip", "cp_sat"))
def test_penalties_finer_than_a_hundredth_decide(strategy: str) -> None:
    problem = _two_for_one_seat(
        [
            {"participant_id": "x", "opportunity_id": "A", "rank": 1, "penalty": 0.008},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1, "penalty": 0.006},
        ]
    )
    assert flok.allocate(problem, strategy).seat_of() == {"x": None, "y": "A"}
    _exact(problem, strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_sixth_decimal_place_decides_and_finer_digits_are_rounded(strategy: str) -> None:
    rows = [
        {"participant_id": "x", "opportunity_id": "A", "rank": 1, "penalty": 0.000002},
        {"participant_id": "y", "opportunity_id": "A", "rank": 1, "penalty": 0.0000014},  # 0.000001
    ]
    assert flok.allocate(_two_for_one_seat(rows), strategy).seat_of() == {"x": None, "y": "A"}


# --- item 7: large integer scores -----------------------------------------------------------------
@pytest.mark.parametrize("strategy", ("auto", "native_flow", "min_cost_flow", "mip", "cp_sat"))
@pytest.mark.parametrize("low,high", [(2_000_000_000, 2_000_000_001), (2_000_000_000, 2_000_000_900)])
def test_large_integer_scores_are_exact(strategy: str, low: int, high: int) -> None:
    problem = _two_for_one_seat(
        [
            {"participant_id": "lo", "opportunity_id": "A", "score": low},
            {"participant_id": "hi", "opportunity_id": "A", "score": high},
        ]
    )
    assert flok.allocate(problem, strategy).seat_of() == {"lo": None, "hi": "A"}
    _exact(problem, strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_large_scores_with_a_side_rule_are_exact(strategy: str) -> None:
    problem = _two_for_one_seat(
        [
            {"participant_id": "lo", "opportunity_id": "A", "score": 2_000_000_000},
            {"participant_id": "hi", "opportunity_id": "A", "score": 2_000_000_001},
            {"participant_id": "z", "opportunity_id": "A", "score": 1},
        ]
    ).with_options(forbidden=(("z", "A"),))
    assert flok.allocate(problem, strategy).seat_of() == {"lo": None, "hi": "A", "z": None}
    _exact(problem, strategy)


def test_scores_beyond_the_exact_range_are_refused_naming_it() -> None:
    problem = _two_for_one_seat(
        [
            {"participant_id": "w", "opportunity_id": "A", "score": -5},  # below min_score: no arc
            {"participant_id": "x", "opportunity_id": "A", "score": 1e17},
        ]
    )
    with pytest.raises(flok.InputError, match="2\\^53") as info:
        flok.allocate(problem)
    assert info.value.field == "score"
    assert "participant 'x'" in str(info.value)


# --- item 5: max_share exactly ---------------------------------------------------------------------
def _share_problem(share: float, xs: int = 3, ys: int = 1) -> flok.Problem:
    """``xs`` people with track x and ``ys`` with y want A (3 seats); a quota caps x's share of A."""
    people = [(f"x{i}", "x") for i in range(xs)] + [(f"y{i}", "y") for i in range(ys)]
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 3}],
        preferences=[{"participant_id": p, "opportunity_id": "A", "rank": 1} for p, _ in people],
        participants=[{"participant_id": p, "track": t} for p, t in people],
        options={"quotas": [{"attribute": "track", "value": "x", "max_share": share}]},
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_max_share_is_not_rounded_to_a_thousandth(strategy: str) -> None:
    # 0.6666 of 3 seated is 1.9998, so 2 x of 3 break it: 2 seats at most. Rounded to 0.667 it let
    # 2 of 3 through, and the verifier rejected the solver's allocation.
    assert _exact(_share_problem(0.6666), strategy).stats.seats == 2
    # 0.3334 of 3 is 1.0002: 1 x with 2 y is allowed. Rounded to 0.333 only 2 were seated.
    assert _exact(_share_problem(0.3334, xs=1, ys=2), strategy).stats.seats == 3


def test_max_share_boundary_counts_exactly() -> None:
    # A share of exactly 2/3 written as 0.666667 allows 2 of 3; 0.666666 does not.
    assert _exact(_share_problem(0.666667), "auto").stats.seats == 3
    assert _exact(_share_problem(0.666666), "auto").stats.seats == 2


def test_max_share_with_too_many_decimals_is_refused_naming_the_range() -> None:
    with pytest.raises(flok.InputError, match="6 decimal places"):
        _share_problem(1 / 3)


# --- item 8: the same problem in any row order -----------------------------------------------------
def _lottery_problem(order: np.ndarray, seed: int | None) -> flok.Problem:
    people = [f"p{i}" for i in range(8)]
    rows = [
        {"participant_id": p, "opportunity_id": o, "rank": r}
        for p in people
        for o, r in (("A", 1), ("B", 2), ("C", 3))
    ]
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": o, "capacity": 2} for o in "CBA"],
        preferences=[rows[i] for i in order],
        participants=[{"participant_id": p, "track": "x" if i % 2 else "y"} for i, p in enumerate(people)],
        options={
            "seed": seed,
            "quotas": [{"attribute": "track", "value": "x", "max": 2}],
        },
    )


@pytest.mark.parametrize("strategy", ("auto", "mip", "cp_sat"))
def test_a_seeded_lottery_ignores_row_order(strategy: str) -> None:
    rng = np.random.default_rng(0)
    rows = 24
    first = flok.allocate(_lottery_problem(np.arange(rows), 5), strategy).seat_of()
    for _ in range(3):
        again = flok.allocate(_lottery_problem(rng.permutation(rows), 5), strategy).seat_of()
        assert again == first


def test_cp_sat_without_a_seed_gives_the_same_answer_on_reruns() -> None:
    problem = _lottery_problem(np.arange(24), None)
    first = flok.allocate(problem, "cp_sat").seat_of()
    for _ in range(4):
        assert flok.allocate(problem, "cp_sat").seat_of() == first


def _near_the_double_limit(value: float, **options: Any) -> flok.Problem:
    """Two people, two seats: x→A with y→B beats the swap by exactly 1 score point."""
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "score": value},
            {"participant_id": "x", "opportunity_id": "B", "score": value - 2},
            {"participant_id": "y", "opportunity_id": "A", "score": value - 1},
            {"participant_id": "y", "opportunity_id": "B", "score": value - 2},
        ],
        options=options,
    )


def test_the_mip_refuses_objectives_it_cannot_hold_exactly_and_auto_moves_on() -> None:
    problem = _near_the_double_limit(6e15)  # totals 1.2e16 > 2^53: not exact in doubles
    with pytest.raises(flok.InputError, match="2\\^53"):
        flok.allocate(problem, "mip")
    for strategy in ("auto", "native_flow", "min_cost_flow", "cp_sat"):
        assert flok.allocate(problem, strategy).seat_of() == {"x": "A", "y": "B"}
    ruled = problem.with_options(forced=(("x", "A"),))
    result = flok.allocate(ruled, "auto")
    assert result.strategy == "cp_sat" and result.seat_of() == {"x": "A", "y": "B"}
    assert flok.allocate(_near_the_double_limit(4e15), "mip").seat_of() == {"x": "A", "y": "B"}


def test_the_lottery_never_shrinks_to_a_single_noise_value() -> None:
    # Large costs used to halve the noise bound K down to 1: a seeded run without any lottery.
    scale = lottery_scale([np.array([10**15])], 1000)
    assert scale is None or scale[1] >= 2


def test_costs_the_side_rule_strategies_cannot_hold_exactly_are_refused() -> None:
    # 600 scores of 9e15 with a seed: the lottery overflows 64 bits, the objective 2^53 and (summed
    # over every pair, as CP-SAT checks) 2^62. An int64 sum of those costs used to wrap around.
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}],
        preferences=[
            {"participant_id": f"p{i}", "opportunity_id": "A", "score": 9e15 - 1000 * i} for i in range(600)
        ],
        options={"seed": 1},
    )
    for strategy in ("mip", "cp_sat"):
        with pytest.raises(flok.InputError, match="seeded tie-breaking"):
            flok.allocate(problem, strategy)
    with pytest.raises(flok.InputError, match=r"2\^53"):
        flok.allocate(problem.with_options(seed=None), "mip")
    with pytest.raises(flok.InputError, match=r"2\^62"):
        flok.allocate(problem.with_options(seed=None), "cp_sat")


@pytest.mark.parametrize("strategy", ("auto", "mip", "cp_sat"))
@pytest.mark.parametrize("seed", [2**31, 2**40, -3])
def test_any_integer_seed_runs_on_the_side_rule_strategies(strategy: str, seed: int) -> None:
    # CP-SAT's random seed is 32-bit (2**31 crashed it); numpy's generator refuses negative seeds.
    problem = _lottery_problem(np.arange(24), seed)
    result = flok.allocate(problem, strategy)
    assert flok.verify(problem, result.participant, result.opportunity) == []


def test_cp_sat_refuses_a_lottery_whose_costs_doubles_cannot_hold() -> None:
    # The shared linear model stores coefficients as doubles: 1e15 × the lottery's factor (≥ 3)
    # × 2 seats × 2 is past 2^53, where the lottery's noise would be rounded away.
    problem = _two_for_one_seat(
        [
            {"participant_id": "x", "opportunity_id": "A", "score": 1e15},
            {"participant_id": "y", "opportunity_id": "A", "score": 1e15},
        ]
    ).with_options(seed=1)
    with pytest.raises(flok.InputError, match="seeded tie-breaking"):
        flok.allocate(problem, "cp_sat")
    assert flok.allocate(problem.with_options(seed=None), "cp_sat").stats.seats == 1
