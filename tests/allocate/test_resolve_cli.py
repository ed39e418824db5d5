"""``flok allocate --previous``: re-solve from files, a diff, honest labels, one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from flok.cli.main import app

runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_a_cancelled_tutorial_late_students_and_withdrawals(tmp_path: Path) -> None:
    o1 = _write(tmp_path / "o1.csv", "opportunity_id,capacity\nT1,3\nT2,2\nT3,3\n")
    p1 = _write(
        tmp_path / "p1.csv",
        "participant_id,opportunity_id,rank\na,T1,1\na,T3,2\nb,T2,1\nb,T3,2\ng,T2,1\ng,T1,2\nh,T3,1\nc,T1,1\nd,T3,1\n",
    )
    before = tmp_path / "before.csv"
    first = runner.invoke(
        app, ["allocate", "--opportunities", str(o1), "--preferences", str(p1), "--out", str(before)]
    )
    assert first.exit_code == 0, first.output
    # T2 is cancelled (capacity 0), c and d withdraw (gone from the preferences), e and f arrive.
    o2 = _write(tmp_path / "o2.csv", "opportunity_id,capacity\nT1,3\nT2,0\nT3,3\n")
    p2 = _write(
        tmp_path / "p2.csv",
        "participant_id,opportunity_id,rank\na,T1,1\na,T3,2\nb,T2,1\nb,T3,2\ng,T2,1\ng,T1,2\nh,T3,1\ne,T1,1\ne,T3,2\nf,T3,1\n",
    )
    out, diff, report = tmp_path / "after.csv", tmp_path / "diff.csv", tmp_path / "report.json"
    args = ["allocate", "--opportunities", str(o2), "--preferences", str(p2), "--previous", str(before)]
    result = runner.invoke(app, [*args, "--diff", str(diff), "--out", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "Re-solved with stability=strict: kept 2, moved 2, newly seated 2, unseated 2" in result.output
    seats = {r["participant_id"]: r["opportunity_id"] for r in _rows(out)}
    assert seats["a"] == "T1" and seats["h"] == "T3"  # nobody moves unless forced
    changes = {r["participant_id"]: r for r in _rows(diff)}
    assert set(changes) == {"b", "g", "e", "f", "c", "d"}
    assert (
        changes["b"]["change"] == "moved"
        and changes["b"]["before"] == "T2"
        and changes["b"]["why"] == "T2 has no seats now"
    )
    assert changes["c"]["change"] == "unseated" and changes["c"]["why"] == "withdrawn"
    assert changes["e"]["change"] == "seated" and changes["e"]["after"] == seats["e"]
    label = json.loads(report.read_text())["resolve"]
    assert label["label"] == "optimal under stability=strict" and label["counts"]["kept"] == 2


def test_re_solve_flags_without_previous_are_one_line_and_write_nothing(tmp_path: Path) -> None:
    o = _write(tmp_path / "o.csv", "opportunity_id,capacity\nT1,1\n")
    p = _write(tmp_path / "p.csv", "participant_id,opportunity_id,rank\na,T1,1\n")
    out = tmp_path / "a.csv"
    for extra in (["--stability", "free"], ["--diff", str(tmp_path / "d.csv")]):
        result = runner.invoke(
            app, ["allocate", "--opportunities", str(o), "--preferences", str(p), *extra, "--out", str(out)]
        )
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert "--previous" in result.output
    assert not out.exists()


def test_a_bad_previous_file_names_its_row(tmp_path: Path) -> None:
    o = _write(tmp_path / "o.csv", "opportunity_id,capacity\nT1,1\n")
    p = _write(tmp_path / "p.csv", "participant_id,opportunity_id,rank\na,T1,1\n")
    prev = _write(tmp_path / "prev.csv", "participant_id,opportunity_id\na,T1\na,T1\n")
    out = tmp_path / "a.csv"
    result = runner.invoke(
        app,
        [
            "allocate",
            "--opportunities",
            str(o),
            "--preferences",
            str(p),
            "--previous",
            str(prev),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2 and "prev.csv, row 3" in result.output and "twice" in result.output
    assert not out.exists()
