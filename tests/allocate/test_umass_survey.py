"""The real UMass course survey, allocated from its original files (docs worked example).

The oracle is an integer program written here from the course list's own days and times, one
row per clashing pair (Flok's model uses one row per instant, from ``flok.timetable``), solved by
SciPy's ``milp``; "most seats, then the highest total score" is one weighted objective. Flok must
match its optimum exactly, and every capacity, seat limit, one-section-per-course and clash is
re-checked from the raw files.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from python_calamine import CalamineWorkbook
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

import flok
from flok.io.problem_io import read_problem
from flok.model import Problem

ROOT = Path(__file__).resolve().parents[2]
EXCERPT = ROOT / "tests" / "data" / "umass"
WHOLE = ROOT.parent / "shared" / "external" / "umass-course-allocation"
MIN_SCORE = 2  # a rating of 1 is "not interested" (the docs' choice, passed as --min-score 2)


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("umass_survey", ROOT / "examples" / "umass_survey.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _course_times(xlsx: Path) -> dict[str, list[tuple[int, int, int]]]:
    """Section id -> (weekday, start, end) minutes, read from the course list without Flok."""
    rows = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    head = [str(h) for h in rows[0]]
    days = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
    out = {}
    for row in rows[1:]:
        rec = dict(zip(head, row, strict=True))
        sid = f"{rec['Subject']} {rec['Catalog']}-{rec['Section']}"
        a, b = (datetime.strptime(t.strip(), "%I:%M %p") for t in str(rec["Mtg Time"]).split(" - "))
        out[sid] = [
            (days[d], a.hour * 60 + a.minute, b.hour * 60 + b.minute) for d in str(rec["zc.days"]).split()
        ]
    return out


def _oracle(
    problem: Problem, times: dict[str, list[tuple[int, int, int]]], category_of: dict[str, str]
) -> float:
    """The optimum of seats × W + total score, by an independent MIP with pairwise clash rows."""
    assert problem.score is not None and problem.max_seats is not None
    keep = np.flatnonzero(problem.score >= MIN_SCORE)
    pp, po, sc = problem.pref_participant[keep], problem.pref_opportunity[keep], problem.score[keep]
    oid = [str(o) for o in problem.opportunity_ids]
    e = keep.size
    weight = float(sc.sum()) + 1.0
    rows: list[int] = []
    cols: list[int] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(idx: list[int], bound: int) -> None:
        r = len(lo)
        rows.extend([r] * len(idx))
        cols.extend(idx)
        lo.append(-np.inf)
        hi.append(bound)

    for o in range(problem.n_opportunities):
        add(np.flatnonzero(po == o).tolist(), int(problem.capacity[o]))
    for p in range(problem.n_participants):
        mine = np.flatnonzero(pp == p).tolist()
        add(mine, int(problem.max_seats[p]))
        by_course: dict[str, list[int]] = {}
        for i in mine:
            by_course.setdefault(category_of[oid[po[i]]], []).append(i)
        for same in by_course.values():
            if len(same) > 1:
                add(same, 1)
        for i, j in itertools.combinations(mine, 2):
            a, b = times[oid[po[i]]], times[oid[po[j]]]
            if any(da == db and max(sa, sb) < min(ea, eb) for da, sa, ea in a for db, sb, eb in b):
                add([i, j], 1)
    matrix = coo_array((np.ones(len(rows)), (rows, cols)), shape=(len(lo), e)).tocsr()
    res = milp(
        -(weight + sc),
        constraints=LinearConstraint(matrix, lo, hi),
        integrality=np.ones(e),
        bounds=Bounds(0, 1),
    )
    assert res.success
    return float(-res.fun)


def _check(problem: Problem, result: flok.Allocation, times: dict[str, list[tuple[int, int, int]]]) -> float:
    """Every rule, re-checked from the raw data; returns seats × W + total score."""
    assert problem.score is not None and problem.max_seats is not None
    oid = [str(o) for o in problem.opportunity_ids]
    score = {
        (int(p), int(o)): float(s)
        for p, o, s in zip(problem.pref_participant, problem.pref_opportunity, problem.score, strict=True)
    }
    held: dict[int, list[int]] = {}
    for p, o in zip(result.participant.tolist(), result.opportunity.tolist(), strict=True):
        held.setdefault(p, []).append(o)
    sizes = np.bincount(result.opportunity, minlength=problem.n_opportunities)
    assert (sizes <= problem.capacity).all()
    total = 0.0
    for p, opps in held.items():
        assert len(opps) <= problem.max_seats[p]
        assert len({oid[o].rsplit("-", 1)[0] for o in opps}) == len(opps), "two sections of one course"
        for a, b in itertools.combinations(opps, 2):
            for da, sa, ea in times[oid[a]]:
                for db, sb, eb in times[oid[b]]:
                    assert not (da == db and max(sa, sb) < min(ea, eb)), f"{oid[a]} clashes with {oid[b]}"
        assert all(score[(p, o)] >= MIN_SCORE for o in opps)
        total += sum(score[(p, o)] for o in opps)
    weight = float(problem.score[problem.score >= MIN_SCORE].sum()) + 1.0
    return len(result.participant) * weight + total


def _prepared(survey: Path, out: Path) -> Problem:
    _example().prepare(survey, out)
    return read_problem(
        opportunities=out / "opportunities.csv",
        preferences=out / "preferences.csv",
        participants=out / "participants.csv",
        overrides={"min_score": float(MIN_SCORE), "category_limit": (("*", 1),)},
    )


def _solve_and_compare(problem: Problem, survey: Path) -> None:
    times = _course_times(survey / "anonymized_courses.xlsx")
    category_of = {str(o): str(c) for o, c in zip(problem.opportunity_ids, problem.category, strict=True)}  # type: ignore[arg-type]
    result = flok.allocate(problem)
    assert result.status == "optimal"
    assert _check(problem, result, times) == pytest.approx(_oracle(problem, times, category_of), abs=1e-6)


def test_the_excerpt_reads_from_its_original_files_with_its_real_timetable(tmp_path: Path) -> None:
    problem = _prepared(EXCERPT, tmp_path)
    assert (problem.n_participants, problem.n_opportunities) == (60, 96)
    times = _course_times(EXCERPT / "anonymized_courses.xlsx")
    # The schedule Flok read is the course list's: same meetings for every section.
    assert problem.meetings is not None
    for o, schedule in zip(problem.opportunity_ids, problem.meetings, strict=True):
        assert sorted((s // 1440, s % 1440, e % 1440 or 1440) for s, e in schedule) == sorted(times[str(o)])
    assert problem.clashing_pairs().size > 0  # real clashes: e.g. the Tue/Thu 16:00 sections


@pytest.mark.parametrize("shrink", [1, 25], ids=["real capacities", "capacities / 25"])
def test_the_excerpt_allocation_is_optimal_and_honours_every_rule(tmp_path: Path, shrink: int) -> None:
    """With real capacities the timetable and seat limits bind; divided by 25 capacities bind too."""
    problem = _prepared(EXCERPT, tmp_path)
    if shrink > 1:
        from dataclasses import replace

        problem = replace(problem, capacity=np.maximum(problem.capacity // shrink, 1))
    _solve_and_compare(problem, EXCERPT)


def test_the_documented_commands_allocate_the_excerpt(tmp_path: Path) -> None:
    """The docs' two commands, run as written (on the excerpt), write a valid allocation."""
    out = tmp_path / "umass"
    prep = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "umass_survey.py"), str(EXCERPT), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert prep.returncode == 0, prep.stderr
    assert "60 responses: 60 rated at least one offered course" in prep.stdout
    flok_bin = Path(sys.executable).with_name("flok")
    cmd = [
        str(flok_bin),
        "allocate",
        "--opportunities",
        "opportunities.csv",
        "--preferences",
        "preferences.csv",
    ]
    cmd += ["--participants", "participants.csv", "--min-score", "2", "--category-limit", "1"]
    cmd += ["--out", "assignments.csv", "--report", "report.json"]
    run = subprocess.run(cmd, cwd=out, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "optimal" in run.stdout
    assigned = _rows(out / "assignments.csv")
    assert assigned and {"participant_id", "opportunity_id"} <= set(assigned[0])


@pytest.mark.skipif(
    not WHOLE.is_dir(), reason=f"the whole survey is not here ({WHOLE}); the excerpt tests still run"
)
def test_the_whole_survey_is_allocated_optimally(tmp_path: Path) -> None:
    problem = _prepared(WHOLE, tmp_path)
    assert problem.n_participants == 730  # of 1,061 responses, 331 rated no offered course
    _solve_and_compare(problem, WHOLE)


def _preset_problem(survey: Path) -> Problem:
    """The survey read in one go through the shipped presets (no script, no reshaped files)."""
    from flok.io.mapping import ImportSpec

    data = survey / "survey_data.csv"
    return read_problem(
        opportunities=survey / "anonymized_courses.xlsx",
        preferences=data,
        participants=data,
        overrides={"min_score": float(MIN_SCORE), "category_limit": (("*", 1),)},
        specs={
            "preferences": ImportSpec(preset="umass-survey"),
            "opportunities": ImportSpec(preset="umass-courses"),
            "participants": ImportSpec(preset="umass-students"),
        },
    )


def _triples(problem: Problem) -> set[tuple[str, str, float]]:
    pids, oids = problem.participant_ids, problem.opportunity_ids
    return {
        (str(pids[p]), str(oids[o]), float(v))
        for p, o, v in zip(problem.pref_participant, problem.pref_opportunity, problem.score, strict=True)  # type: ignore[arg-type]
    }


def test_the_shipped_preset_is_the_examples_join_of_columns_to_sections() -> None:
    """umass-survey.toml holds what the example script computes from the mapping file and course
    list, so the preset and the hand-written reading cannot drift apart."""
    shipped = ROOT / "src" / "flok" / "io" / "presets" / "umass-survey.toml"
    assert shipped.read_text(encoding="utf-8") == _example().preset_toml(EXCERPT)


def test_the_presets_read_the_survey_as_the_example_script_does(tmp_path: Path) -> None:
    by_script = _prepared(EXCERPT, tmp_path)
    by_preset = _preset_problem(EXCERPT)
    assert _triples(by_preset) == _triples(by_script)
    for name in ("opportunity_ids", "capacity", "category"):
        assert list(map(str, getattr(by_preset, name))) == list(map(str, getattr(by_script, name)))
    assert list(by_preset.meetings) == list(by_script.meetings)  # type: ignore[arg-type]
    assert by_preset.max_seats is not None and by_script.max_seats is not None
    seats = dict(zip(map(str, by_preset.participant_ids), by_preset.max_seats, strict=True))
    assert all(
        seats[str(p)] == s for p, s in zip(by_script.participant_ids, by_script.max_seats, strict=True)
    )
    _solve_and_compare(by_preset, EXCERPT)


def test_one_command_with_the_presets_allocates_the_raw_files(tmp_path: Path) -> None:
    flok_bin = Path(sys.executable).with_name("flok")
    data = str(EXCERPT / "survey_data.csv")
    cmd = [str(flok_bin), "allocate", "--preferences", data, "--preset", "umass-survey"]
    cmd += [
        "--opportunities",
        str(EXCERPT / "anonymized_courses.xlsx"),
        "--opportunities-preset",
        "umass-courses",
    ]
    cmd += ["--participants", data, "--participants-preset", "umass-students"]
    cmd += ["--min-score", "2", "--category-limit", "1", "--out", "a.csv", "--report", "r.json"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    problem = _preset_problem(EXCERPT)
    expected = flok.allocate(problem).objective
    import json

    assert json.loads((tmp_path / "r.json").read_text())["objective"] == pytest.approx(expected)


def test_a_preset_for_another_kind_of_file_is_refused_naming_both(tmp_path: Path) -> None:
    flok_bin = Path(sys.executable).with_name("flok")
    cmd = [
        str(flok_bin),
        "allocate",
        "--preferences",
        str(EXCERPT / "survey_data.csv"),
        "--preset",
        "umass-courses",
    ]
    cmd += ["--opportunities", str(EXCERPT / "anonymized_courses.xlsx"), "--out", "a.csv"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert "preset 'umass-courses' is for opportunities files, not preferences files" in run.stderr
    assert not (tmp_path / "a.csv").exists()
