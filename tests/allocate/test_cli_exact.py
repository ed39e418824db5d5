"""Issue 13 through the CLI: exact shares and penalties from CSV files, and seeds independent of row order."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.cli.main import app

runner = CliRunner()


def _run(tmp: Path, prefs: str, *extra: str, quotas: str | None = None) -> tuple[int, str, dict[str, str]]:
    (tmp / "o.csv").write_text("opportunity_id,capacity\nA,3\nB,1\n")
    (tmp / "u.csv").write_text("participant_id,track\nx1,x\nx2,x\nx3,x\ny1,y\n")
    (tmp / "p.csv").write_text(prefs)
    args = ["allocate", "--opportunities", str(tmp / "o.csv"), "--participants", str(tmp / "u.csv")]
    args += [
        "--preferences",
        str(tmp / "p.csv"),
        "--out",
        str(tmp / "a.csv"),
        "--report",
        str(tmp / "r.json"),
    ]
    if quotas is not None:
        (tmp / "q.csv").write_text(quotas)
        args += ["--quotas", str(tmp / "q.csv")]
    result = runner.invoke(app, [*args, *extra])
    seats = {}
    if result.exit_code == 0:
        seats = {r["participant_id"]: r["opportunity_id"] for r in csv.DictReader((tmp / "a.csv").open())}
    return result.exit_code, result.output, seats


def test_a_share_of_0_6666_from_quotas_csv_is_exact(tmp_path: Path) -> None:
    # Was exit 2 "mip returned an invalid allocation": 0.6666 was rounded to 0.667, letting 2 of 3 in.
    prefs = "participant_id,opportunity_id,rank\n" + "".join(f"{p},A,1\n" for p in ("x1", "x2", "x3", "y1"))
    code, output, seats = _run(
        tmp_path, prefs, quotas="opportunity_id,attribute,value,min,max,max_share\nA,track,x,,,0.6666\n"
    )
    assert code == 0, output
    in_a = [p for p, o in seats.items() if o == "A"]
    assert len(in_a) == 2 and "y1" in in_a


@pytest.mark.parametrize("low", ["x1", "x2"])
def test_penalties_of_0_006_and_0_008_decide_from_csv(tmp_path: Path, low: str) -> None:
    # Both were rounded to 0.01: a tie, decided the same way whoever had the lower penalty.
    high = "x2" if low == "x1" else "x1"
    prefs = f"participant_id,opportunity_id,rank,penalty\n{high},B,1,0.008\n{low},B,1,0.006\n"
    code, output, seats = _run(tmp_path, prefs)
    assert code == 0, output
    assert seats[low] == "B" and not seats[high]


def test_a_seed_gives_the_same_seats_whatever_the_row_order(tmp_path: Path) -> None:
    rows = [f"{p},{o},{r}\n" for p in ("x1", "x2", "x3", "y1") for o, r in (("B", 1), ("A", 2))]
    head = "participant_id,opportunity_id,rank\n"
    first = _run(tmp_path, head + "".join(rows), "--seed", "11", "--strategy", "mip")
    again = _run(tmp_path, head + "".join(reversed(rows)), "--seed", "11", "--strategy", "mip")
    assert first[0] == again[0] == 0
    assert first[2] == again[2]
