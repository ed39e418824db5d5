"""The unassigned's reasons kept compactly with a run (also at 100,000 participants), and a
solver's progress in words and the user's units."""

from __future__ import annotations

import json

import pytest

from flok.app import reasons
from flok.app.progress import number, progress_text, solving_fraction
from flok.app.worker.jobs import stored_report
from flok.bench.generate import zipf_instance
from flok.engine import allocate
from flok.model import Options
from flok.solvers.base import Progress


@pytest.mark.slow
def test_reasons_of_the_unassigned_are_kept_at_100k() -> None:
    """100,000 people ranking 2,000 opportunities: the engine's explanations are far too big to
    store with the run (they are left out), the compact reasons of the unassigned are not, and
    they say exactly what the explanations say."""
    problem = zipf_instance(100_000, 2_000, seed=1, seats_per_participant=0.8).problem(Options())
    result = allocate(problem)
    full = result.report()
    assert "explanations" in stored_report(full)["omitted"]
    kept = reasons.compact(result, full["explanations"])
    assert kept is not None and reasons.fits(kept)
    size = len(json.dumps(kept, separators=(",", ":")))
    assert size < 2 * 1024 * 1024, f"{size:,} characters"  # about 1 MB, against 45 MB of explanations
    seat = result.seat_of()
    unassigned = [p for p, o in seat.items() if o is None]
    assert len(kept["people"]) == len(unassigned) > 10_000
    said = reasons.sentences(kept, unassigned[:500], {})
    for pid in unassigned[:500]:
        assert said[pid] == [r["text"] for r in full["explanations"].get(pid, {}).get("reasons", [])]


def test_reasons_name_opportunities_by_title() -> None:
    stored = {"texts": ["{opp} was full"], "opportunities": ["A1"], "people": {"x": [0, 0], "y": []}}
    assert reasons.sentences(stored, ["x", "y", "z"], {"A1": "Algebra {opp}"}) == {
        "x": ["Algebra {opp} was full"],
        "y": [],
    }


def test_progress_in_words() -> None:
    live = Progress("seats: improving", objective=310.0, bound=312.0, measure="seats", stage=1, stages=4)
    assert progress_text(live) == "stage 1 of 4: seats — best 310 seats, at most 312 possible (gap 2)"
    low = Progress(
        "total rank: improving", objective=12_400.0, bound=12_000.0, measure="total rank", stage=4, stages=4
    )
    assert (
        progress_text(low)
        == "stage 4 of 4: total rank — best 12,400 total rank, at least 12,000 possible (gap 400)"
    )
    level = Progress(
        "seats worse than choice 1: improving",
        objective=40.0,
        bound=35.0,
        measure="seats worse than the level",
        stage=2,
        stages=5,
    )
    assert progress_text(level) == (
        "stage 2 of 5: seats worse than choice 1 — best 40 seats worse than the level, "
        "at least 35 possible (gap 5)"
    )
    unproven = Progress(
        "worst rank: solved", objective=3.0, bound=None, measure="worst rank", stage=2, stages=3
    )
    assert progress_text(unproven) == "stage 2 of 3: worst rank — best 3 worst rank, nothing proven yet"
    assert progress_text(Progress("solving min-cost flow", fraction=0.0)) == "solving min-cost flow"
    assert solving_fraction(0.0) == 0.05 and solving_fraction(1.0) == 0.95 and solving_fraction(None) is None
    assert number(-0.0) == "0" and number(30065) == "30,065" and number(2.5) == "2.5"


def test_cp_sat_reports_progress_in_the_users_units() -> None:
    """The staged solver's live objective and bound are seats (or ranks), not the scaled internal
    objective of "seats, then total rank" (−1,612,906,374 for 3,000 people)."""
    problem = zipf_instance(300, 12, seed=3, seats_per_participant=0.8).problem(Options(time_limit=10))
    seen: list[Progress] = []
    result = allocate(problem, "cp_sat", progress=seen.append)
    valued = [p for p in seen if p.objective is not None]
    assert valued and all(p.measure for p in valued)
    for p in valued:
        assert p.objective is not None and 0 <= p.objective <= problem.n_participants, p
        assert p.bound is None or 0 <= p.bound <= problem.n_preferences, p
        assert (p.stage, p.stages) == (1, 1)
    assert valued[-1].objective == result.stats.seats
