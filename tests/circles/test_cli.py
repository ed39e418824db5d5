"""``flok circles`` end to end: good input writes four files, bad input exits 2 and writes nothing."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.cli.main import app

DATA = Path(__file__).parent.parent / "data" / "circles"


def run(*args: object):
    return CliRunner().invoke(app, ["circles", *map(str, args)])


def test_sample_data_writes_consistent_files(tmp_path: Path) -> None:
    out = tmp_path / "results"
    res = run(
        "--participants",
        DATA / "participants.csv",
        "--circles",
        DATA / "circles.csv",
        "--out-dir",
        out,
        "--attribute",
        "industry,employment",
    )
    assert res.exit_code == 0, res.output
    assert "Matched" in res.output and "proven maximal" in res.output
    assignments = list(csv.DictReader((out / "assignments.csv").open()))
    circles = list(csv.DictReader((out / "circles.csv").open()))
    report = json.loads((out / "report.json").read_text())
    with (DATA / "participants.csv").open() as f:
        ids = [r["participant_id"] for r in csv.DictReader(f)]
    assert sorted(a["participant_id"] for a in assignments) == sorted(ids)
    placed = [a for a in assignments if a["circle_id"]]
    assert report["matched"] == len(placed)
    assert sum(int(c["members"]) for c in circles) == len(placed)
    for c in circles:
        members = [a for a in placed if a["circle_id"] == c["circle_id"]]
        assert len(members) == int(c["members"])
    unmatched = list(csv.DictReader((out / "unmatched.csv").open()))
    assert sum(v["count"] for v in report["unmatched_reasons"].values()) == len(unmatched)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda rows: rows[3].update(time_1="whenever the moon is full"),
            ("participants.csv", "row 5", "time_1"),
        ),
        (lambda rows: rows[0].update(host="often"), ("participants.csv", "row 2", "host")),
        (lambda rows: rows[6].update(status="ALUMNI"), ("participants.csv", "row 8", "status")),
    ],
)
def test_bad_input_exits_2_names_file_row_field_and_writes_nothing(tmp_path: Path, edit, expected) -> None:
    with (DATA / "participants.csv").open() as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames or []), list(reader)
    edit(rows)
    bad = tmp_path / "participants.csv"
    with bad.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "results"
    res = CliRunner().invoke(app, ["circles", "--participants", str(bad), "--out-dir", str(out)])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1
    for part in expected:
        assert part in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_bad_circles_file_exits_2(tmp_path: Path) -> None:
    circles = tmp_path / "circles.csv"
    shutil.copy(DATA / "circles.csv", circles)
    text = circles.read_text().splitlines()
    head = text[0].split(",")
    row = text[1].split(",")
    row[head.index("meeting_time")] = "every other blue moon"
    circles.write_text("\n".join([text[0], ",".join(row), *text[2:]]) + "\n")
    res = run("--participants", DATA / "participants.csv", "--circles", circles, "--out-dir", tmp_path / "o")
    assert res.exit_code == 2
    assert "circles.csv, row 2, field 'meeting_time'" in res.output
    assert not (tmp_path / "o").exists()


def test_lenient_times_report_row_and_value(tmp_path: Path) -> None:
    with (DATA / "participants.csv").open() as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames or []), list(reader)
    rows[2]["time_1"] = "after the kids sleep"
    src = tmp_path / "p.csv"
    with src.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    res = run("--participants", src, "--out-dir", tmp_path / "o", "--lenient-times", "--mode", "dissolve")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [(i["row"], i["field"], i["value"]) for i in report["time_issues"]] == [
        (4, "time_1", "after the kids sleep")
    ]


def _renamed(src: Path, dst: Path, names: dict[str, str], delimiter: str = ",") -> Path:
    """``src`` with some headers renamed, written in another dialect, as an export would be."""
    with src.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[0] = [names.get(h, h) for h in rows[0]]
    with dst.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return dst


def test_each_file_has_its_own_mapping_and_existing_circles_still_work(tmp_path: Path) -> None:
    """--map used to be applied to circles.csv too, so existing circles broke any mapping."""
    people = _renamed(
        DATA / "participants.csv",
        tmp_path / "survey.csv",
        {"participant_id": "Encoded ID", "location_1": "1st Choice Subregion"},
        delimiter=";",
    )
    circles = _renamed(DATA / "circles.csv", tmp_path / "existing.csv", {"circle_id": "Circle ID"})
    out = tmp_path / "results"
    res = run(
        *("--participants", people, "--circles", circles, "--out-dir", out),
        *("--map", "participant_id=Encoded ID", "--map", "location_1=1st Choice Subregion"),
        *("--circles-map", "circle_id=Circle ID"),
    )
    assert res.exit_code == 0, res.output
    reference = tmp_path / "reference"
    assert (
        run(
            "--participants",
            DATA / "participants.csv",
            "--circles",
            DATA / "circles.csv",
            "--out-dir",
            reference,
        ).exit_code
        == 0
    )
    for name in ("assignments.csv", "circles.csv"):
        assert (out / name).read_text() == (reference / name).read_text()
    wrong = run(
        *("--participants", people, "--circles", circles, "--out-dir", tmp_path / "x"),
        "--map",
        "participant_id=Encoded ID",
    )
    # Without its own mapping, circles.csv says what it lacks, in the user's words.
    assert wrong.exit_code == 2
    assert "missing required column 'circle_id' (columns found: 'Circle ID'" in wrong.output


def test_region_codes_from_the_option_or_a_file_name_new_circles(tmp_path: Path) -> None:
    """Issue 16, item 9: new ids as the seed writes them, IP-<REGION_CODE>-NEW-01."""
    codes = tmp_path / "codes.csv"
    codes.write_text("Region;Code\nNew York;NYC\n", encoding="utf-8")
    args = ("--participants", DATA / "participants.csv", "--mode", "dissolve")
    for name, extra in (("file", ("--region-codes", codes)), ("option", ("--region-code", "new york=nyc"))):
        res = run(*args, *extra, "--out-dir", tmp_path / name)
        assert res.exit_code == 0, res.output
        ids = [r["circle_id"] for r in csv.DictReader((tmp_path / name / "circles.csv").open())]
        assert ids and all(i.startswith(("IP-NYC-NEW-", "VO-NYC-NEW-")) for i in ids), ids
    bad = run(*args, "--region-code", "Bay Area=S F O", "--out-dir", tmp_path / "b")
    assert bad.exit_code == 2 and "letters, digits and dashes" in bad.output


def test_outputs_staff_can_e_mail_from(tmp_path: Path) -> None:
    """Issue 16, item 13: a roster per circle and one row per participant with where and when."""
    out = tmp_path / "o"
    files = ("--participants", DATA / "participants.csv", "--circles", DATA / "circles.csv")
    res = run(*files, "--out-dir", out)
    assert res.exit_code == 0, res.output
    assert (out / "summary.txt").read_text().splitlines()[0] == res.output.splitlines()[0]
    circles = {r["circle_id"]: r for r in csv.DictReader((out / "circles.csv").open())}
    for r in csv.DictReader((out / "roster.csv").open()):
        members = dict(m.rsplit(" (", 1) for m in r["members"].split("; "))
        assert len(members) == int(r["size"]) == int(circles[r["circle_id"]]["members"])
        leaders = [m for m in r["co_leaders"].split("; ") if m]
        assert len(leaders) == int(circles[r["circle_id"]]["co_leaders"])
        assert all(members[m].rstrip(")") in ("co_leader", "proposed_co_leader") for m in leaders)
        assert r["location"] and r["meeting_time"]
    for a in csv.DictReader((out / "assignments.csv").open()):
        if a["circle_id"]:
            assert a["meeting_time"] == circles[a["circle_id"]]["meeting_time"] and not a["reason_code"]
        else:
            assert a["role"] == "unmatched" and a["reason"]


def test_a_preset_for_another_kind_is_refused_and_preview_reads_the_survey_kind(tmp_path: Path) -> None:
    from flok.io.circles import write_survey

    survey, _circles, _truth = write_survey(tmp_path / "in", 30, seed=3)
    out = tmp_path / "out"
    wrong = run("--participants", survey, "--preset", "lms-wide", "--out-dir", out)
    assert wrong.exit_code == 2
    assert "preset 'lms-wide' is for preferences files, not circle-participants files" in wrong.output
    assert not out.exists()
    seen = CliRunner().invoke(app, ["import", "preview", str(survey), "--preset", "gsb-circles-survey"])
    assert seen.exit_code == 0, seen.output
    assert "read as circle-participants (the preset's kind)" in seen.output
    assert "participant_id  <- 'Encoded ID'" in seen.output


def test_the_command_ends_with_its_own_exit_code_and_flushed_output(tmp_path: Path) -> None:
    """``flok`` leaves through ``os._exit`` once a native solver is loaded (no C++ teardown at
    exit, issue 16 item 4): its output must still be complete and its exit code its own."""
    import subprocess
    import sys

    flok_bin = Path(sys.executable).with_name("flok")
    bad = tmp_path / "dup.csv"
    bad.write_text("participant_id,location_1,time_1\np1,A,Monday evening\np1,A,Tuesday evening\n")
    refused = subprocess.run(
        [str(flok_bin), "circles", "--participants", str(bad), "--out-dir", str(tmp_path / "no")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "flok: error: dup.csv, row 3, field 'participant_id': duplicate id 'p1' (first on row 2)"
    ]
    out = tmp_path / "out"
    done = subprocess.run(
        [str(flok_bin), "circles", "--participants", str(DATA / "participants.csv"), "--out-dir", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Matched ") and done.stdout.rstrip().endswith("summary.txt")
    assert (out / "summary.txt").read_text().strip() in done.stdout
