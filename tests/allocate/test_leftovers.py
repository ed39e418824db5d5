"""Issue 13 leftovers found by earlier engineers, each with a test that failed before its fix."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import flok
from flok.cli.main import app
from flok.options import Quota
from flok.solvers.verify import violations
from tests.oracles import allocation_key, brute_force_rules, describe, rule_violations


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
    assert result.strategy in ("native_flow", "min_cost_flow")
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


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.6666, "66.66%"), (0.5, "50%"), (0.333333, "33.3333%"), (1.0, "100%"), (0.005, "0.5%"), (0.0, "0%")],
)
def test_quota_describe_prints_the_exact_share(share: float, shown: str) -> None:
    """max_share was printed with {:.0%}: 0.6666 showed as "67%", which is not the rule applied."""
    quota = Quota(attribute="track", value="x", max_share=share)
    assert quota.describe() == f"at most {shown} with track=x in every opportunity"


@settings(max_examples=60, deadline=None)
@given(share=st.integers(0, 10**6).map(lambda k: k / 10**6))
def test_quota_describe_share_round_trips(share: float) -> None:
    """Any share Flok accepts (at most 6 decimals) is printed so that it reads back exactly."""
    text = Quota(attribute="a", value="v", max_share=share).describe()
    percent = text.split("at most ")[1].split("%")[0]
    assert Decimal(percent) / 100 == Decimal(repr(share))


@pytest.mark.parametrize("found_nothing", [True, False])
def test_time_out_with_nothing_found_exits_5_and_still_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, found_nothing: bool
) -> None:
    """A time-limited run that found nothing better than the empty allocation exited 0."""
    from flok.solvers.mip import MipStrategy
    from flok.solvers.staged import StageResult

    real = MipStrategy.run_stage

    def timed_out(self: MipStrategy, handle: Any, lm: Any, stage: Any, *args: Any) -> StageResult:
        if not found_nothing:
            return real(self, handle, lm, stage, *args)
        # What HiGHS answers when the time limit ends at its empty starting point.
        return StageResult("feasible", np.zeros(lm.n_vars), 0.0, -1e9)

    monkeypatch.setattr(MipStrategy, "run_stage", timed_out)
    (tmp_path / "o.csv").write_text("opportunity_id,capacity\nA,1\nB,1\n")
    (tmp_path / "p.csv").write_text("participant_id,opportunity_id,rank\nx,A,1\ny,B,1\n")
    out, report = tmp_path / "a.csv", tmp_path / "r.json"
    args = ["allocate", "--opportunities", str(tmp_path / "o.csv"), "--preferences", str(tmp_path / "p.csv")]
    args += ["--out", str(out), "--report", str(report), "--strategy", "mip", "--time-limit", "1"]
    result = CliRunner().invoke(app, args)
    data = json.loads(report.read_text())
    assert out.exists()
    if found_nothing:
        assert result.exit_code == 5, result.output
        assert data["status"] == "feasible" and data["found_nothing"] is True
        assert "no allocation found within the time limit (1 s)" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert data["status"] == "optimal"


def _ranked(ranks: dict[str, dict[str, int]], capacity: dict[str, int], **options: Any) -> flok.Problem:
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": o, "capacity": c} for o, c in capacity.items()],
        preferences=[
            {"participant_id": p, "opportunity_id": o, "rank": r}
            for p, row in ranks.items()
            for o, r in row.items()
        ],
        options=options,
    )


@pytest.mark.parametrize("objective", ["sum", "lexicographic", "maximin"])
def test_seeded_huge_rank_is_solved_not_bad_cost_range(objective: str) -> None:
    """A valid rank of 10^15 with a seed ended in SolverError "BAD_COST_RANGE" on the flow path."""
    problem = _ranked(
        {"x": {"A": 1, "B": 10**15}, "y": {"A": 1}}, {"A": 1, "B": 1}, seed=1, objective=objective
    )
    result = flok.allocate(problem)
    assert result.strategy in ("native_flow", "min_cost_flow") and result.status == "optimal"
    assert sorted(zip(result.participant.tolist(), result.opportunity.tolist(), strict=True)) == [
        (0, 1),
        (1, 0),
    ]


def test_huge_scores_on_a_large_network_are_refused_up_front(tmp_path: Path) -> None:
    """Scores of 9e15 with 2,000 participants ended in BAD_COST_RANGE after the solve started."""
    n = 2000
    problem = flok.Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(20)],
        capacity=np.full(20, 100),
        pref_participant=np.repeat(np.arange(n), 3),
        pref_opportunity=np.tile([0, 1, 2], n),
        score=np.full(3 * n, 9e15) - np.tile([0, 1, 2], n),
        participant_ids=[f"p{i}" for i in range(n)],
    )
    from flok.solvers.flow import FlowStrategy

    why = FlowStrategy().unsupported(problem)
    assert why is not None and "exact range" in why
    with pytest.raises(flok.InputError) as info:
        flok.allocate(problem)
    assert "min_cost_flow cannot: arc costs up to 9,000,000,000,000,000 exceed" in str(info.value)
    # The CLI: one line, exit 2 (bad input for every strategy), no traceback, nothing written.
    (tmp_path / "o.csv").write_text("opportunity_id,capacity\n" + "".join(f"o{i},100\n" for i in range(20)))
    rows = "".join(f"p{p},o{k},{9e15 - k:.0f}\n" for p in range(n) for k in range(3))
    (tmp_path / "p.csv").write_text("participant_id,opportunity_id,score\n" + rows)
    out = tmp_path / "a.csv"
    args = ["allocate", "--opportunities", str(tmp_path / "o.csv"), "--preferences", str(tmp_path / "p.csv")]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "exact range" in result.output and "Traceback" not in result.output and not out.exists()


HUGE_RANKS = [1, 2, 3, 10**6, 10**9, 10**12, 10**15]


@st.composite
def huge_rank_problems(draw: st.DrawFn) -> flok.Problem:
    opps = ["A", "B", "C"][: draw(st.integers(1, 3))]
    people = [f"p{i}" for i in range(draw(st.integers(1, 4)))]
    ranks: dict[str, dict[str, int]] = {}
    for p in people:
        chosen = draw(st.lists(st.sampled_from(opps), min_size=1, max_size=len(opps), unique=True))
        values = draw(
            st.lists(st.sampled_from(HUGE_RANKS), min_size=len(chosen), max_size=len(chosen), unique=True)
        )
        ranks[p] = dict(zip(chosen, sorted(values), strict=True))
    capacity = {o: draw(st.integers(1, 2)) for o in opps}
    objective = draw(st.sampled_from(["sum", "lexicographic", "maximin"]))
    return _ranked(
        ranks, capacity, seed=draw(st.none() | st.integers(-(2**63), 2**63 - 1)), objective=objective
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=huge_rank_problems())
def test_huge_ranks_with_lottery_are_exact_on_auto(problem: flok.Problem) -> None:
    """Ranks up to 10^15, any seed, every objective: auto answers the brute-force optimum, never a
    SolverError (the flow declines or shrinks the lottery's noise instead of overflowing)."""
    note(describe(problem))
    result = flok.allocate(problem)
    assert not rule_violations(problem, result.participant, result.opportunity)
    assert allocation_key(problem, result.participant, result.opportunity) == brute_force_rules(problem)
