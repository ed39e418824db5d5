"""Status and gap in the user's units (issue 13 item 10): seats, people, ranks, score.

A time-limited run reports each stage's found value and proven bound in the stage's own
measure, which stages were proven, and says so when nothing better than empty was found.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import flok
from flok.cli.allocate import summary
from flok.solvers.sidemodel import build, pairs_of
from flok.solvers.staged import StageResult, _outcome
from flok.solvers.stagereport import Scale, stage_values
from tests.allocate.instances import time_limited_problem

MEASURES = {"seats", "seats worse than the level", "worst rank", "total rank", "total score"}


def _tiny(objective: str = "sum", **options: object) -> flok.Problem:
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "x", "opportunity_id": "B", "rank": 3},
            {"participant_id": "y", "opportunity_id": "A", "rank": 2},
        ],
        options={"objective": objective, "forced": [["y", "A"]], **options},
    )


def test_empty_allocation_after_time_limit_says_so_in_seats() -> None:
    problem = _tiny()
    lm = build(problem, pairs_of(problem))
    stage = lm.stages[0]
    assert stage.label == "seats, then total rank"
    big = float(lm.pairs.cost[0] - stage.coef[0])
    # The solver stopped at the empty allocation (objective 0) with a bound allowing 2 seats.
    done = [(stage, StageResult("feasible", np.zeros(lm.n_vars), 0.0, -2 * big + 3))]
    out = _outcome(problem, lm, done, lm.pairs.unit, 0, "feasible")
    assert out["gap"] == 2 and out["gap_measure"] == "seats"
    assert out["proven_stages"] == [] and out["unfinished_stages"] == ["seats, then total rank"]
    assert out["found_nothing"] is True
    assert "empty allocation" in out["note"]


def test_stage_values_translate_costs_back_to_ranks_and_scores() -> None:
    lm_stage = flok.solvers.linear.Stage("total rank", np.arange(2), np.ones(2), None)
    # Seeded (lottery factor 1000) and fractional penalties (unit 100): 12.5 ranks.
    ranked = stage_values(lm_stage, 1250 * 1000 + 7, 1200 * 1000 + 999, 2, Scale(100.0, 1000, False, False))
    assert ranked == {"measure": "total rank", "objective": 12.5, "bound": 12.0}
    score_stage = flok.solvers.linear.Stage("total score", np.arange(2), np.ones(2), None)
    scored = stage_values(score_stage, -9.0, -11.0, 2, Scale(1.0, 1, True, False))
    assert scored == {"measure": "total score", "objective": 9.0, "bound": 11.0}
    seats = flok.solvers.linear.Stage("seats", np.arange(2), -np.ones(2), "le")
    assert stage_values(seats, -3.0, -4.6, 3, Scale(1.0, 1, False, False))["bound"] == 4


def test_every_stage_is_reported_in_user_units_and_proven() -> None:
    problem = _tiny("lexicographic")
    result = flok.allocate(problem, "mip")
    assert result.status == "optimal"
    stages = result.details["stages"]
    assert [s["stage"] for s in stages] == result.details["proven_stages"]
    assert all(s["proven"] and s["measure"] in MEASURES for s in stages)
    assert stages[0] == {
        "stage": "seats",
        "status": "optimal",
        "proven": True,
        "measure": "seats",
        "objective": 2.0,
        "bound": 2.0,
    }
    assert stages[-1]["measure"] == "total rank" and stages[-1]["objective"] == result.objective
    assert result.status_lines() == []


def test_time_limited_run_reports_gap_in_the_stage_measure() -> None:
    problem = time_limited_problem()
    result = flok.allocate(problem, "cp_sat")
    d = result.details
    assert all("proven" in s for s in d["stages"])
    if result.status == "feasible":
        first = next(s for s in d["stages"] if not s["proven"])
        if first["status"] == "not run":  # a loaded machine: the time ran out before it started
            assert d["gap"] is None and d["gap_measure"] is None
        else:
            assert d["gap_measure"] in MEASURES
        assert d["gap"] is None or 0 <= d["gap"] <= problem.n_participants * problem.unlisted_rank
        assert d["unfinished_stages"] and set(d["proven_stages"]).isdisjoint(d["unfinished_stages"])
        lines = result.status_lines()
        assert lines[0].startswith("Not proven optimal: stage ")
        if d["gap"] is None:
            assert "did not finish within the time limit" in lines[0]
        assert lines[1].startswith("Proven stages: ")


def test_cli_summary_prints_the_gap_and_the_empty_note() -> None:
    problem = _tiny()
    lm = build(problem, pairs_of(problem))
    stage = lm.stages[0]
    big = float(lm.pairs.cost[0] - stage.coef[0])
    done = [(stage, StageResult("feasible", np.zeros(lm.n_vars), 0.0, -2 * big + 3))]
    details = _outcome(problem, lm, done, lm.pairs.unit, 0, "feasible")
    seated = flok.allocate(problem, "mip")
    empty = replace(
        seated,
        participant=seated.participant[:0],
        opportunity=seated.opportunity[:0],
        status="feasible",
        details=details,
    )
    text = summary(empty)
    assert (
        "Not proven optimal: stage 'seats, then total rank' found 0 seats, best possible 2 (gap 2 seats)"
        in text
    )
    assert "Proven stages: 0 of 1" in text
    assert "Note: the time limit ended before anything better than an empty allocation was found" in text
