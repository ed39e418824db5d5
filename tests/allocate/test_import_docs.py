"""The "Bring your data" examples (docs/import.md) run as written and give the stated results."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from flok.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"


def _allocate(tmp_path: Path, preferences: str, *extra: str) -> tuple[str, dict[str, tuple[str, int]]]:
    out = tmp_path / "assignments.csv"
    result = CliRunner().invoke(
        app,
        [
            *("allocate", "--opportunities", str(EXAMPLES / "opportunities.csv")),
            *("--preferences", str(EXAMPLES / preferences), *extra, "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    return result.output, {r["participant_id"]: (r["opportunity_id"], int(r["rank"])) for r in rows}


def test_the_lms_export_example(tmp_path: Path) -> None:
    output, seats = _allocate(tmp_path, "lms-export.csv", "--preset", "lms-wide")
    assert "Assigned 6 of 6 participants" in output and "ignored: 'Name', 'Email'" in output
    # Six people, three tutorials of two: four get their first choice, two their second (optimal:
    # four of the six put T1 first, and T1 has two seats).
    assert sorted(rank for _, rank in seats.values()) == [1, 1, 1, 1, 2, 2]


def test_the_european_spreadsheet_example(tmp_path: Path) -> None:
    raw = (EXAMPLES / "excel-eu.csv").read_bytes()
    assert b";" in raw and "Jürgen".encode("cp1252") in raw  # the file really is what the docs say
    output, seats = _allocate(tmp_path, "excel-eu.csv")
    assert "Windows-1252" in output and "participant_id <- 'Matrikelnummer'" in output
    assert set(seats) == {"2001", "2002", "2003", "2004"}
    assert all(rank == 1 for _, rank in seats.values())
