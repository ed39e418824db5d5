"""``flok allocate`` end to end, and every bad-input case: exit 2, one precise line, no output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.cli.main import app
from flok.errors import SolverError

runner = CliRunner()

OPPS = "opportunity_id,capacity,title\nT1,1,Tutorial 1\nT2,2,Tutorial 2\n"
PREFS = "participant_id,opportunity_id,rank\nana,T1,1\nana,T2,2\nbo,T1,1\nbo,T2,2\ncy,T1,1\n"


def _write(tmp: Path, name: str, text: str | bytes) -> Path:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _run(tmp: Path, opps: str | bytes = OPPS, prefs: str | bytes = PREFS, *extra: str):
    o = _write(tmp, "opportunities.csv", opps)
    p = _write(tmp, "preferences.csv", prefs)
    return runner.invoke(
        app,
        [
            "allocate",
            "--opportunities",
            str(o),
            "--preferences",
            str(p),
            "--out",
            str(tmp / "assignments.csv"),
            "--report",
            str(tmp / "report.json"),
            *extra,
        ],
    )


def test_allocate_writes_assignments_report_and_summary(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "assignments.csv").open()))
    assert [r["participant_id"] for r in rows].count("ana") == 1
    seated = {r["participant_id"]: r["opportunity_id"] for r in rows}
    assert sorted(v for v in seated.values() if v) == ["T1", "T2", "T2"]
    assert sum(1 for v in seated.values() if not v) == 0 or len(seated) == 3
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "optimal"
    assert report["assigned"] == 3
    assert (
        report["rank_histogram"] == {"1": 1, "2": 2, "unassigned": 0}
        or report["rank_histogram"]["unassigned"] == 0
    )
    assert "Assigned 3 of 3 participants" in result.stdout


def test_unassigned_rows_have_empty_opportunity(tmp_path: Path) -> None:
    prefs = "participant_id,opportunity_id,rank\nana,T1,1\nbo,T1,1\n"
    result = _run(tmp_path, "opportunity_id,capacity\nT1,1\n", prefs)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "assignments.csv").open()))
    assert len(rows) == 2
    assert sorted(r["opportunity_id"] for r in rows) == ["", "T1"]
    assert [r["rank"] for r in rows if not r["opportunity_id"]] == [""]


def test_out_dash_writes_csv_to_stdout_and_summary_to_stderr(tmp_path: Path) -> None:
    o = _write(tmp_path, "o.csv", OPPS)
    p = _write(tmp_path, "p.csv", PREFS)
    result = runner.invoke(
        app, ["allocate", "--opportunities", str(o), "--preferences", str(p), "--out", "-"]
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "participant_id,opportunity_id,rank"
    assert "Assigned" in result.stderr and "Assigned" not in result.stdout


def test_json_input_with_options(tmp_path: Path) -> None:
    problem = {
        "opportunities": [{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        "preferences": [
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1},
        ],
        "options": {"fill_unlisted": True},
    }
    path = _write(tmp_path, "problem.json", json.dumps(problem))
    result = runner.invoke(app, ["allocate", str(path), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert sorted(r["opportunity_id"] for r in rows) == ["A", "B"]


def test_no_unassigned_infeasible_names_bottleneck(tmp_path: Path) -> None:
    prefs = "participant_id,opportunity_id,rank\nana,T1,1\nbo,T1,1\ncy,T1,1\n"
    result = _run(tmp_path, OPPS, prefs, "--no-unassigned")
    assert result.exit_code == 3
    assert "2 participant(s) cannot be seated" in result.stderr
    assert "T1" in result.stderr
    assert not (tmp_path / "assignments.csv").exists()


def test_seed_flag_is_reproducible(tmp_path: Path) -> None:
    prefs = "participant_id,opportunity_id,rank\n" + "".join(f"p{i},T1,1\n" for i in range(8))
    outs = []
    for _ in range(2):
        result = _run(tmp_path, OPPS, prefs, "--seed", "42")
        assert result.exit_code == 0
        outs.append((tmp_path / "assignments.csv").read_text())
    assert outs[0] == outs[1]


def test_formula_like_ids_are_neutralised(tmp_path: Path) -> None:
    prefs = "participant_id,opportunity_id,rank\n=cmd(),T1,1\n"
    result = _run(tmp_path, OPPS, prefs)
    assert result.exit_code == 0
    assert "'=cmd()" in (tmp_path / "assignments.csv").read_text()


BAD_CASES = [
    # (name, opportunities, preferences, expected substrings of the one error line)
    (
        "missing column",
        OPPS,
        "participant_id,rank\nana,1\n",
        ["preferences.csv", "row 1", "'opportunity_id'", "missing required column"],
    ),
    (
        "unknown opportunity",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T9,1\n",
        ["preferences.csv", "row 2", "'opportunity_id'", "unknown opportunity 'T9'"],
    ),
    (
        "duplicate rank",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T1,1\nana,T2,1\n",
        ["preferences.csv", "row 3", "'rank'", "rank 1 twice"],
    ),
    (
        "rank zero",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T1,0\n",
        ["preferences.csv", "row 2", "'rank'", "got '0'"],
    ),
    (
        "non-integer rank",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T1,1\nbo,T1,1.5\n",
        ["preferences.csv", "row 3", "'rank'", "got '1.5'"],
    ),
    (
        "text rank",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T1,first\n",
        ["preferences.csv", "row 2", "'rank'", "got 'first'"],
    ),
    (
        "negative capacity",
        "opportunity_id,capacity\nT1,1\nT2,-3\n",
        PREFS,
        ["opportunities.csv", "row 3", "'capacity'", "got '-3'"],
    ),
    (
        "non-integer capacity",
        "opportunity_id,capacity\nT1,2.5\nT2,1\n",
        PREFS,
        ["opportunities.csv", "row 2", "'capacity'", "got '2.5'"],
    ),
    (
        "NaN score",
        OPPS,
        "participant_id,opportunity_id,score\nana,T1,0.5\nbo,T1,NaN\n",
        ["preferences.csv", "row 3", "'score'", "finite"],
    ),
    ("empty file", OPPS, "", ["preferences.csv", "row 1", "empty"]),
    (
        "header only",
        OPPS,
        "participant_id,opportunity_id,rank\n",
        ["preferences.csv", "row 2", "no data rows"],
    ),
    (
        "unclear encoding",
        OPPS,
        b"participant_id,opportunity_id,rank\nana,T1,1\n\x81\x8d\x8f\x90\x9d\x81\x8d\x8f\x90\x9d,T1,2\n",
        ["preferences.csv", "row 3", "encoding is unclear", "--encoding"],
    ),
    (
        "duplicate pair",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T1,1\nana,T1,2\n",
        ["preferences.csv", "row 3", "lists opportunity 'T1' twice"],
    ),
    (
        "duplicate opportunity id",
        "opportunity_id,capacity\nT1,1\nT1,2\n",
        PREFS,
        ["opportunities.csv", "row 3", "'opportunity_id'", "duplicate id 'T1'"],
    ),
    (
        "empty id",
        OPPS,
        "participant_id,opportunity_id,rank\n,T1,1\n",
        ["preferences.csv", "row 2", "'participant_id'", "empty value"],
    ),
    (
        "ragged row",
        OPPS,
        "participant_id,opportunity_id,rank\nana,T1,1,extra\n",
        ["preferences.csv", "row 2", "expected 3 fields"],
    ),
    (
        "both rank and score",
        OPPS,
        "participant_id,opportunity_id,rank,score\nana,T1,1,2\n",
        ["preferences.csv", "exactly one of the columns"],
    ),
]


@pytest.mark.parametrize(("name", "opps", "prefs", "expected"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, name: str, opps: str, prefs: str | bytes, expected: list[str]
) -> None:
    result = _run(tmp_path, opps, prefs)
    assert result.exit_code == 2, (name, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for part in expected:
        assert part in lines[0], (part, lines[0])
    assert not (tmp_path / "assignments.csv").exists()
    assert not (tmp_path / "report.json").exists()


def test_error_leaves_previous_outputs_untouched(tmp_path: Path) -> None:
    assert _run(tmp_path).exit_code == 0
    before = (tmp_path / "assignments.csv").read_bytes()
    assert _run(tmp_path, OPPS, "participant_id,opportunity_id,rank\nana,T9,1\n").exit_code == 2
    assert (tmp_path / "assignments.csv").read_bytes() == before


def test_bad_json_names_the_field(tmp_path: Path) -> None:
    problem = {
        "opportunities": [{"opportunity_id": "A", "capacity": -1}],
        "preferences": [{"participant_id": "x", "opportunity_id": "A", "rank": 1}],
    }
    path = _write(tmp_path, "problem.json", json.dumps(problem))
    result = runner.invoke(app, ["allocate", str(path), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 2
    assert "problem.json opportunities, row 1, field 'capacity'" in result.stderr
    bad_opt = dict(problem, opportunities=[{"opportunity_id": "A", "capacity": 1}], options={"fil": True})
    path.write_text(json.dumps(bad_opt))
    result = runner.invoke(app, ["allocate", str(path), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 2
    assert "field 'fil'" in result.stderr and "unknown option" in result.stderr


def test_unknown_strategy_is_rejected(tmp_path: Path) -> None:
    result = _run(tmp_path, OPPS, PREFS, "--strategy", "magic")
    assert result.exit_code == 2


def test_ids_with_commas_and_quotes_round_trip(tmp_path: Path) -> None:
    opps = 'opportunity_id,capacity\n"Lab, room 2",1\n'
    prefs = 'participant_id,opportunity_id,rank\n"O""Neil","Lab, room 2",1\n'
    result = _run(tmp_path, opps, prefs)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "assignments.csv").open()))
    assert rows == [{"participant_id": 'O"Neil', "opportunity_id": "Lab, room 2", "rank": "1"}]


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (RuntimeError("boom"), "internal error: RuntimeError: boom"),
        (SolverError("mip returned an invalid allocation"), "internal error: mip returned an invalid"),
    ],
)
def test_flok_s_own_failure_is_one_line_with_its_own_exit_code_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception, words: str
) -> None:
    """A defect in Flok is not the user's bad input: exit 4, one line, no traceback, no files."""
    import flok.cli.allocate as cli_allocate

    def broken(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(cli_allocate, "allocate", broken)
    result = _run(tmp_path)
    assert result.exit_code == 4, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Flok's fault" in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "assignments.csv").exists() and not (tmp_path / "report.json").exists()
