"""docs/changes.md's worked example, run as written, checked from the files (not from Flok's output)."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from flok.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "changes"


def _seats(path: Path) -> dict[str, str]:
    return {
        r["participant_id"]: r["opportunity_id"] for r in csv.DictReader(path.open()) if r["opportunity_id"]
    }


def test_a_tutor_falls_ill_and_nobody_else_moves(tmp_path: Path) -> None:
    before, after, diff = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "d.csv"
    run = CliRunner().invoke
    first = run(
        app,
        [
            "allocate",
            "--opportunities",
            str(EXAMPLE / "opportunities.csv"),
            "--preferences",
            str(EXAMPLE / "preferences.csv"),
            "--out",
            str(before),
        ],
    )
    assert first.exit_code == 0, first.output
    second = run(
        app,
        [
            *("allocate", "--opportunities", str(EXAMPLE / "opportunities-now.csv")),
            *("--preferences", str(EXAMPLE / "preferences-now.csv"), "--previous", str(before)),
            *("--diff", str(diff), "--out", str(after)),
        ],
    )
    assert second.exit_code == 0, second.output
    old, new = _seats(before), _seats(after)
    capacity = {
        r["opportunity_id"]: int(r["capacity"])
        for r in csv.DictReader((EXAMPLE / "opportunities-now.csv").open())
    }
    people_now = {r["participant_id"] for r in csv.DictReader((EXAMPLE / "preferences-now.csv").open())}
    # Strict: everyone still here whose tutorial still runs keeps it.
    for pid, tut in old.items():
        if pid in people_now and capacity[tut] > 0:
            assert new[pid] == tut, pid
    # Every remaining seat is filled (more people than seats accept something).
    assert len(new) == sum(capacity.values())
    changed = {r["participant_id"]: r for r in csv.DictReader(diff.open())}
    assert {changed[p]["why"] for p in ("s007", "s042")} == {"withdrawn"}
    assert all(r["before"] == "TUE-14" for r in changed.values() if r["change"] == "moved")
