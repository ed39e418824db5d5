"""Issue 13 item 16: an infeasible side-rule problem says how many cannot be seated and what blocks them.

Before the fix the side-rule path (mip, cp_sat) said only "no allocation satisfies every rule" and
listed "participant x must get a seat" rows; the flow path already gave the count and bottleneck.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import flok
from flok.model import Problem
from flok.solvers.rules import RULES
from tests.oracles import describe, max_seatable, rule_violations
from tests.strategies import problems_with_rule

STRATEGIES = ("auto", "mip", "cp_sat")


def _problem(opps: list[dict[str, Any]], prefs: dict[str, list[str]], **extra: Any) -> Problem:
    participants = extra.pop("participants", None)
    return flok.Problem.from_records(
        opportunities=opps,
        preferences=[
            {"participant_id": p, "opportunity_id": o, "rank": r + 1}
            for p, os_ in prefs.items()
            for r, o in enumerate(os_)
        ],
        participants=participants,
        options={"allow_unassigned": False, **extra},
    )


def _infeasible(problem: Problem, strategy: str) -> flok.InfeasibleError:
    with pytest.raises(flok.InfeasibleError) as info:
        flok.allocate(problem, strategy)
    return info.value


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_quota_names_count_and_bottleneck(strategy: str) -> None:
    problem = _problem(
        [{"opportunity_id": "A", "capacity": 2}, {"opportunity_id": "B", "capacity": 1}],
        {"p0": ["A"], "p1": ["A"], "p2": ["B"]},
        participants=[{"participant_id": p, "track": "x"} for p in ("p0", "p1", "p2")],
        quotas=[{"attribute": "track", "value": "x", "max": 1, "opportunity": "A"}],
    )
    err = _infeasible(problem, strategy)
    text = str(err)
    assert err.unseated == 1
    assert "1 participant(s) cannot be seated" in text and "at most 2 of 3" in text
    assert "quota" in text.split("bottleneck:")[1]
    assert err.bottleneck == ["A"]
    assert "must get a seat" not in text


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_hard_group_names_count_and_bottleneck(strategy: str) -> None:
    problem = _problem(
        [{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        {"p0": ["A", "B"], "p1": ["A", "B"], "p2": ["B"]},
        participants=[
            {"participant_id": "p0", "group": "G"},
            {"participant_id": "p1", "group": "G"},
            {"participant_id": "p2", "group": ""},
        ],
        group_mode="hard",
    )
    err = _infeasible(problem, strategy)
    text = str(err)
    assert err.unseated == 2 and "2 participant(s) cannot be seated" in text and "at most 1 of 3" in text
    assert "group G" in text and "p0, p1 left out" in text
    assert err.bottleneck == ["A", "B"]
    assert "must get a seat" not in text


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_forced_pair_names_count_and_bottleneck(strategy: str) -> None:
    problem = _problem(
        [{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        {"x": ["A", "B"], "y": ["A"]},
        forced=[["x", "A"]],
    )
    err = _infeasible(problem, strategy)
    text = str(err)
    assert err.unseated == 1 and "1 participant(s) cannot be seated" in text
    assert "bottleneck: forced pair (x, A)" in text and "y left out" in text
    assert err.bottleneck == ["A"]
    assert "must get a seat" not in text


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_min_size_names_count_and_bottleneck(strategy: str) -> None:
    problem = _problem(
        [{"opportunity_id": "A", "capacity": 3, "min_size": 3}, {"opportunity_id": "B", "capacity": 1}],
        {"p0": ["A", "B"], "p1": ["A"]},
    )
    err = _infeasible(problem, strategy)
    text = str(err)
    assert err.unseated == 1 and "at most 1 of 2" in text
    assert "opportunity A needs at least 3 participants to run" in text.split("bottleneck:")[1]
    assert err.bottleneck == ["A"]
    assert "must get a seat" not in text


def test_cli_prints_the_count_in_one_line_exit_3(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from flok.cli.main import app

    (tmp_path / "o.csv").write_text("opportunity_id,capacity,min_size\nA,3,3\nB,1,1\n")
    (tmp_path / "p.csv").write_text("participant_id,opportunity_id,rank\np0,A,1\np0,B,2\np1,A,1\n")
    out = tmp_path / "a.csv"
    result = CliRunner().invoke(
        app,
        [
            "allocate",
            "--opportunities",
            str(tmp_path / "o.csv"),
            "--preferences",
            str(tmp_path / "p.csv"),
            "--out",
            str(out),
            "--no-unassigned",
        ],
    )
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "1 participant(s) cannot be seated" in lines[0]
    assert "needs at least 3 participants to run" in lines[0]


@st.composite
def infeasible_candidates(draw: st.DrawFn) -> Problem:
    rule = draw(st.sampled_from([r.name for r in RULES]))
    problem = draw(problems_with_rule(rule, objective="sum", seed=draw(st.none() | st.integers(0, 99))))
    return problem.with_options(allow_unassigned=False)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(problem=infeasible_candidates(), strategy=st.sampled_from(["auto", "mip", "cp_sat"]))
def test_unseated_count_matches_brute_force(problem: Problem, strategy: str) -> None:
    """For an infeasible instance, the reported count is n minus the most seatable under the same rules."""
    note(describe(problem))
    best = max_seatable(problem)
    try:
        result = flok.allocate(problem, strategy)
    except flok.InfeasibleError as err:
        event("infeasible")
        if best < 0:  # even with unassigned allowed nothing fits: no count is claimed
            assert err.unseated == 0
        else:
            assert err.unseated == problem.n_participants - best, str(err)
            assert err.unseated > 0
        return
    except flok.InputError:
        return  # the strategy cannot hold this problem (e.g. its size); not this property's concern
    assert best == problem.n_participants
    assert not rule_violations(problem, result.participant, result.opportunity)
