"""Issue 13 leftovers found by earlier engineers, each with a test that failed before its fix."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flok
from flok.solvers.verify import violations


def _hub_problem(seed: int) -> flok.Problem:
    """fill_unlisted with a participant who ranks nothing: their seat comes through the flow's hub."""
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[{"participant_id": "x", "opportunity_id": "A", "rank": 1}],
        participants=[{"participant_id": "x"}, {"participant_id": "y"}],
        options={"fill_unlisted": True, "seed": seed},
    )


@pytest.mark.parametrize("seed", [-2, -(2**40), -1, 0, 2**63 - 1])
def test_hub_shuffle_accepts_any_seed(seed: int) -> None:
    """Seeds below −1 made numpy's default_rng(seed + 1) raise ValueError in the hub shuffle."""
    result = flok.allocate(_hub_problem(seed))
    assert result.strategy == "min_cost_flow"
    assert sorted(zip(result.participant.tolist(), result.opportunity.tolist(), strict=True)) == [
        (0, 0),
        (1, 1),
    ]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(-(2**63), 2**63 - 1))
def test_hub_shuffle_any_seed_property(seed: int) -> None:
    """Any 64-bit seed on the hub path gives a complete allocation the verifier accepts, reproducibly."""
    problem = _hub_problem(seed)
    first, again = flok.allocate(problem), flok.allocate(problem)
    assert first.participant.size == 2 and not violations(problem, first.participant, first.opportunity)
    assert first.opportunity.tolist() == again.opportunity.tolist()
