"""Shared capacities (``capacity_groups``): parsing, the CSV reader's located errors, the rows,
the verifier, explanations, infeasibility words, and a known answer (daffidwilde's
student–project allocation tutorial: supervisors with a capacity over their projects)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import flok
from flok.cli.main import app
from flok.explain import explain
from flok.io.problem_io import apply_rule_files, read_capacity_groups
from flok.options import CapacityGroup, Options

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "daffidwilde"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "external" / "matching-daffidwilde"
OPPS = "opportunity_id,capacity\nP1,2\nP2,2\nP3,2\n"
PREFS = "participant_id,opportunity_id,rank\na,P1,1\nb,P1,1\nc,P2,1\nc,P3,2\nd,P2,1\n"


def _problem(groups: list[dict] | None = None, **options: object) -> flok.Problem:
    return flok.Problem.from_records(
        opportunities=[{"opportunity_id": o, "capacity": 2} for o in ("P1", "P2", "P3")],
        preferences=[
            {"participant_id": p, "opportunity_id": o, "rank": r}
            for p, o, r in (("a", "P1", 1), ("b", "P1", 1), ("c", "P2", 1), ("c", "P3", 2), ("d", "P2", 1))
        ],
        options={"capacity_groups": groups or [], **options},
    )


S1 = [{"group_id": "S1", "capacity": 3, "opportunities": ["P1", "P2"]}]


# --- parsing -------------------------------------------------------------------------------


def test_json_option_parses_and_round_trips() -> None:
    opts = Options.from_mapping({"capacity_groups": S1})
    assert opts.capacity_groups == (CapacityGroup("S1", 3, ("P1", "P2")),)
    assert opts.to_dict()["capacity_groups"] == S1


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"group_id": "S1"}, "capacity_groups", "list"),
        ([{"group_id": "S1", "capacity": -1, "opportunities": ["P1"]}], "capacity_groups[1].capacity", "≥ 0"),
        (
            [{"group_id": "S1", "capacity": 2.5, "opportunities": ["P1"]}],
            "capacity_groups[1].capacity",
            "whole",
        ),
        (
            [{"group_id": "S1", "capacity": "3", "opportunities": ["P1"]}],
            "capacity_groups[1].capacity",
            "whole",
        ),
        (
            [{"group_id": "S1", "capacity": True, "opportunities": ["P1"]}],
            "capacity_groups[1].capacity",
            "whole",
        ),
        ([{"group_id": "S1", "opportunities": ["P1"]}], "capacity_groups[1].capacity", "capacity"),
        (
            [{"group_id": "S1", "capacity": 1, "opportunities": []}],
            "capacity_groups[1].opportunities",
            "empty",
        ),
        (
            [{"group_id": "S1", "capacity": 1, "opportunities": "P1"}],
            "capacity_groups[1].opportunities",
            "list",
        ),
        (
            [{"group_id": "S1", "capacity": 1, "opportunities": ["P1", "P1"]}],
            "capacity_groups[1].opportunities",
            "twice",
        ),
        (
            [{"group_id": "", "capacity": 1, "opportunities": ["P1"]}],
            "capacity_groups[1].group_id",
            "group_id",
        ),
        (
            [{"group_id": "S1", "capacity": 1, "opportunities": ["P1"], "cap": 2}],
            "capacity_groups[1]",
            "'cap'",
        ),
        (
            [
                {"group_id": "S1", "capacity": 1, "opportunities": ["P1"]},
                {"group_id": "S1", "capacity": 2, "opportunities": ["P2"]},
            ],
            "capacity_groups[2].group_id",
            "duplicate group id 'S1'",
        ),
    ],
)
def test_bad_json_groups_name_source_and_field(raw: object, field: str, words: str) -> None:
    with pytest.raises(flok.InputError) as exc:
        Options.from_mapping({"capacity_groups": raw}, source="campaign.json options")
    assert exc.value.source == "campaign.json options"
    assert exc.value.field == field
    assert words in exc.value.message


def test_unknown_opportunity_is_refused_with_its_item() -> None:
    with pytest.raises(flok.InputError) as exc:
        _problem([{"group_id": "S1", "capacity": 1, "opportunities": ["P1", "P9"]}])
    assert exc.value.field == "capacity_groups[1].opportunities"
    assert "'P9'" in exc.value.message


def test_a_group_built_in_code_is_checked_too() -> None:
    with pytest.raises(flok.InputError) as exc:
        _problem().with_options(capacity_groups=(CapacityGroup("S1", -2, ("P1",)),))
    assert exc.value.field == "capacity_groups[1].capacity"


# --- the CSV reader ------------------------------------------------------------------------


def test_csv_reader_groups_rows_by_group_id(tmp_path: Path) -> None:
    path = tmp_path / "capacity_groups.csv"
    path.write_text("group_id,capacity,opportunity_id\nS1,3,P1\nR,1,P3\nS1,3,P2\n")
    assert read_capacity_groups(path) == (
        CapacityGroup("S1", 3, ("P1", "P2")),
        CapacityGroup("R", 1, ("P3",)),
    )


@pytest.mark.parametrize(
    ("text", "row", "field", "words"),
    [
        ("group_id,capacity,opportunity_id\nS1,3,P1\nS1,4,P2\n", 3, "capacity", "must agree"),
        ("group_id,capacity,opportunity_id\nS1,3,P1\nS1,-1,P2\n", 3, "capacity", "≥ 0"),
        ("group_id,capacity,opportunity_id\nS1,2.5,P1\n", 2, "capacity", "whole number"),
        ("group_id,capacity,opportunity_id\nS1,,P1\n", 2, "capacity", "missing"),
        ("group_id,capacity,opportunity_id\nS1,3,P1\n,3,P2\n", 3, "group_id", "empty"),
        ("group_id,capacity,opportunity_id\nS1,3,P1\nS1,3,\n", 3, "opportunity_id", "empty"),
        ("group_id,capacity,opportunity_id\nS1,3,P1\nS1,3,P1\n", 3, "opportunity_id", "twice"),
        ("group_id,opportunity_id\nS1,P1\n", 1, "capacity", "missing required column"),
    ],
)
def test_csv_reader_errors_name_file_row_and_column(
    tmp_path: Path, text: str, row: int, field: str, words: str
) -> None:
    path = tmp_path / "capacity_groups.csv"
    path.write_text(text)
    with pytest.raises(flok.InputError) as exc:
        read_capacity_groups(path)
    assert (exc.value.source, exc.value.row, exc.value.field) == ("capacity_groups.csv", row, field)
    assert words in exc.value.message


def test_checks_after_reading_name_the_files_row(tmp_path: Path) -> None:
    path = tmp_path / "capacity_groups.csv"
    path.write_text("group_id,capacity,opportunity_id\nS1,3,P1\nS1,3,P9\n")
    with pytest.raises(flok.InputError) as exc:
        apply_rule_files(_problem(), [("capacity_groups", "capacity_groups", path)])
    assert (exc.value.source, exc.value.row, exc.value.field) == ("capacity_groups.csv", 3, "opportunity_id")
    path.write_text("group_id,capacity,opportunity_id\nT,1,P3\nS1,3,P1\n")  # S1 is in the JSON too
    with pytest.raises(flok.InputError) as exc:
        apply_rule_files(_problem(S1), [("capacity_groups", "capacity_groups", path)])
    assert (exc.value.source, exc.value.row, exc.value.field) == ("capacity_groups.csv", 3, "group_id")
    assert "duplicate group id 'S1'" in exc.value.message


def test_cli_flag_reads_the_file_and_reports_a_bad_row_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text(OPPS)
    (tmp_path / "p.csv").write_text(PREFS)
    (tmp_path / "g.csv").write_text("group_id,capacity,opportunity_id\nS1,3,P1\nS1,3,P2\n")
    args = ["allocate", "--opportunities", str(tmp_path / "o.csv"), "--preferences", str(tmp_path / "p.csv")]
    args += ["--out", str(tmp_path / "a.csv"), "--report", str(tmp_path / "r.json")]
    result = runner.invoke(app, [*args, "--capacity-groups", str(tmp_path / "g.csv")])
    assert result.exit_code == 0, result.output
    seats = {r["participant_id"]: r["opportunity_id"] for r in csv.DictReader((tmp_path / "a.csv").open())}
    assert sum(seats[p] in ("P1", "P2") for p in seats) == 3
    report = json.loads((tmp_path / "r.json").read_text())
    assert "shared capacities" in report["strategy_reason"]
    assert report["options"]["capacity_groups"] == S1
    (tmp_path / "g.csv").write_text("group_id,capacity,opportunity_id\nS1,3,P1\nS1,4,P2\n")
    result = runner.invoke(app, [*args, "--capacity-groups", str(tmp_path / "g.csv")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0, result.output
    assert "g.csv, row 3, field 'capacity'" in result.output


# --- solving, verifying, explaining --------------------------------------------------------


@pytest.mark.parametrize("strategy", ["auto", "mip", "cp_sat"])
def test_every_strategy_keeps_the_shared_capacity(strategy: str) -> None:
    problem = _problem(S1)
    result = flok.allocate(problem, strategy)
    seats = result.seat_of()
    assert sum(seats.get(p) in ("P1", "P2") for p in "abcd") == 3
    assert seats["c"] == "P3"  # c alone has another choice: 4 seats, total rank 5
    assert flok.verify(problem, result.participant, result.opportunity) == []


def test_plain_flow_is_not_used_for_a_rule_it_cannot_express() -> None:
    assert flok.allocate(_problem(S1)).strategy not in ("native_flow", "min_cost_flow")
    with pytest.raises(flok.FlokError):
        flok.allocate(_problem(S1), "min_cost_flow")


def test_verifier_recounts_the_group() -> None:
    problem = _problem(S1)
    part, opp = np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1])  # 4 seats in P1+P2, capacity 3
    assert any("capacity group S1 holds 4 seats" in v for v in flok.verify(problem, part, opp))


def test_explanation_says_the_shared_capacity_was_used_up() -> None:
    result = flok.allocate(_problem(S1))
    reasons = explain(result)["c"]["reasons"]
    assert [(r["opportunity_id"], r["code"]) for r in reasons] == [("P2", "SHARED_CAPACITY")]
    assert "shares a capacity" in reasons[0]["text"]


def test_infeasible_names_the_shared_capacity() -> None:
    problem = _problem([{"group_id": "S1", "capacity": 1, "opportunities": ["P1"]}], allow_unassigned=False)
    with pytest.raises(flok.InfeasibleError) as exc:
        flok.allocate(problem)
    assert "shared capacity S1" in str(exc.value)
    assert exc.value.unseated == 1
    tight = [{"group_id": "S1", "capacity": 1, "opportunities": ["P1", "P2"]}]
    forced = _problem(tight, forced=[["a", "P1"], ["c", "P2"]])
    with pytest.raises(flok.InfeasibleError) as exc:
        flok.allocate(forced)
    assert "forced into P1, P2, which share capacity group S1 of 1 seats" in str(exc.value)


# --- known answer: daffidwilde/matching, student_allocation tutorial ------------------------


def _tutorial(base: Path) -> tuple[flok.Problem, dict[str, int], dict[str, list[str]]]:
    """The raw tutorial CSVs as a Flok problem: one capacity group per supervisor.

    Ranks are positions in each student's list with repeats dropped (the tutorial's cleaning
    keeps a project's first occurrence). The other cleaning steps change nothing here: capping a
    project at its supervisor's capacity is implied by the group, and the unranked project stays.
    """
    with (base / "projects.csv").open() as f:
        projects = list(csv.DictReader(f))
    with (base / "supervisors.csv").open() as f:
        supervisors = {r["name"]: int(r["capacity"]) for r in csv.DictReader(f)}
    with (base / "students.csv").open() as f:
        students = list(csv.DictReader(f))
    prefs = []
    ranks: dict[str, int] = {}
    for s in students:
        listed: list[str] = []
        for k in range(25):
            code = s[str(k)]
            if code and code not in listed:
                listed.append(code)
        for r, code in enumerate(listed, start=1):
            prefs.append({"participant_id": s["name"], "opportunity_id": code, "rank": r})
            ranks[f"{s['name']}/{code}"] = r
    groups = [
        {
            "group_id": name,
            "capacity": cap,
            "opportunities": [p["code"] for p in projects if p["supervisor"] == name],
        }
        for name, cap in supervisors.items()
    ]
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": p["code"], "capacity": int(p["capacity"])} for p in projects],
        preferences=prefs,
        participants=[{"participant_id": s["name"]} for s in students],
        options={"capacity_groups": groups},
    )
    expected = json.loads((base / "expected_student_optimal_matching.json").read_text())
    return problem, ranks, expected["matching_project_to_students"]


def _supervisor_load(problem: flok.Problem, seat_of: dict[str, str]) -> dict[str, tuple[int, int]]:
    return {
        g.group_id: (sum(1 for o in seat_of.values() if o in g.opportunities), g.capacity)
        for g in problem.options.capacity_groups
    }


@pytest.mark.parametrize("source", ["copied", "shared"])
def test_student_project_tutorial_respects_every_supervisor_capacity(source: str) -> None:
    base = DATA if source == "copied" else SHARED / "student_allocation_tutorial"
    if source == "shared" and not base.is_dir():
        pytest.skip(f"{base} not found: ../shared/external/matching-daffidwilde is absent in this checkout")
    problem, ranks, expected = _tutorial(base)
    expected_seats = {s: p for p, students in expected.items() for s in students}
    assert len(expected_seats) == 93  # the tutorial's published matching
    part = np.array([list(problem.participant_ids).index(s) for s in expected_seats])
    opp = np.array([list(problem.opportunity_ids).index(p) for p in expected_seats.values()])
    assert flok.verify(problem, part, opp) == []  # the published matching is allowed here too
    expected_rank = sum(ranks[f"{s}/{p}"] for s, p in expected_seats.items())

    result = flok.allocate(problem)
    assert result.status == "optimal"
    seat_of = {s: o for s, o in result.seat_of().items() if o is not None}
    assert flok.verify(problem, result.participant, result.opportunity) == []
    for supervisor, (load, cap) in _supervisor_load(problem, seat_of).items():
        assert load <= cap, supervisor
    caps = dict(zip(problem.opportunity_ids.tolist(), problem.capacity.tolist(), strict=True))
    for code in caps:
        assert sum(1 for o in seat_of.values() if o == code) <= caps[code], code
    seats = len(seat_of)
    total_rank = sum(ranks[f"{s}/{p}"] for s, p in seat_of.items())
    # Flok maximizes seats, then minimizes total rank; the stable matching is one candidate, so
    # Flok is never worse on (seats, rank). Measured: Flok 97 seats at total rank 164, the
    # student-optimal stable matching 93 seats at total rank 203.
    assert (-seats, total_rank) <= (-len(expected_seats), expected_rank)
    assert seats >= len(expected_seats)
    assert total_rank <= expected_rank

    # Without the shared capacities the flow overfills some supervisor: the rule bites here.
    plain = problem.with_options(capacity_groups=())
    free = {s: o for s, o in flok.allocate(plain).seat_of().items() if o is not None}
    assert any(load > cap for load, cap in _supervisor_load(problem, free).values())
