"""Circle formation's files: participants.csv and circles.csv in, the result's CSV and JSON files out.

The circles core works on tables and returns data; this module is where paths are read and written,
and where user-written text in the output is made formula-safe for spreadsheets.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

import pyarrow as pa

from flok.circles.generate import CIRCLE_FIELDS, PARTICIPANT_FIELDS, generate
from flok.circles.options import CircleOptions
from flok.circles.result import CircleResult
from flok.circles.roster import Roster, roster_from_tables
from flok.circles.survey import HEADERS as SURVEY_HEADERS
from flok.circles.survey import Survey, generate_survey
from flok.errors import InputError
from flok.io.importer import import_table
from flok.io.mapping import ImportSpec
from flok.io.sources import read_source
from flok.io.writers import csv_safe, outputs, write_json, write_table_csv
from flok.table import Table

# Output text columns in Flok's own words (roles, reason codes and texts). Every other text column
# repeats what a person wrote (ids, places, times, notes quoting a cell, kept columns such as an
# e-mail), so a spreadsheet must not run it as a formula.
FLOK_TEXT = frozenset({"role", "status", "host", "format", "reason_code", "reason", "flags"})
OUTPUT_FILES = ("assignments.csv", "roster.csv", "circles.csv", "unmatched.csv", "report.json", "summary.txt")


def read_tables(
    participants: str | Path,
    circles: str | Path | None = None,
    *,
    participants_spec: ImportSpec | None = None,
    circles_spec: ImportSpec | None = None,
) -> tuple[Table, Table | None]:
    """participants.csv (or a survey export) and, when given, circles.csv, each with its own mapping.

    Both go through the import layer (any dialect, encoding or xlsx; a preset or ``--map``), and a
    mapping for one file never touches the other.
    """
    people = import_table(participants, "circle-participants", participants_spec)[0]
    existing = import_table(circles, "circles", circles_spec)[0] if circles is not None else None
    return people, existing


def read_roster(participants: str | Path, circles: str | Path | None, options: CircleOptions) -> Roster:
    """Both files, validated and cross-checked (see `flok.circles.roster.roster_from_tables`)."""
    people, existing = read_tables(participants, circles)
    return roster_from_tables(people, existing, options)


def read_region_codes(path: str | Path) -> dict[str, str]:
    """A two-column file of region (or virtual location) names and their id codes, any dialect or
    xlsx: headers ``name`` (or ``region``/``location``) and ``code``; every row needs both."""
    raw = read_source(path)
    by_lower = {h.strip().lower(): h for h in raw.headers}
    name = next((by_lower[h] for h in ("name", "region", "location") if h in by_lower), None)
    code = by_lower.get("code")
    if name is None or code is None:
        have = ", ".join(f"'{h}'" for h in raw.headers)
        raise InputError(
            f"a region codes file needs columns 'name' and 'code' (columns found: {have})",
            source=raw.source,
            row=1,
        )
    out: dict[str, str] = {}
    for i, (n, c) in enumerate(
        zip(raw.columns[name].to_pylist(), raw.columns[code].to_pylist(), strict=True)
    ):
        n, c = (n or "").strip(), (c or "").strip()
        if not n and not c:
            continue
        if not n or not c:
            raise InputError("every row needs a name and a code", source=raw.source, row=raw.row_base + i)
        out[n] = c
    return out


def safe_table(table: pa.Table) -> pa.Table:
    """The table with every user-text column made formula-safe."""
    for k, name in enumerate(table.column_names):
        if name not in FLOK_TEXT and pa.types.is_string(table.schema.field(k).type):
            table = table.set_column(k, name, csv_safe(table.column(name).combine_chunks()))
    return table


def write_circle_table_csv(table: pa.Table, stream: IO[bytes]) -> None:
    """One of the result's tables as CSV, user text formula-safe."""
    write_table_csv(safe_table(table), stream)


def write_result(result: CircleResult, out_dir: Path) -> None:
    """Every file of `OUTPUT_FILES`, or none: assignments.csv (one row per participant: circle,
    role, place and time, or reason), roster.csv (one row per circle, to e-mail from),
    circles.csv, unmatched.csv, report.json and summary.txt (what the command printed)."""
    with outputs() as out:
        for name, table in (
            ("assignments.csv", result.assignments_table()),
            ("roster.csv", result.roster_table()),
            ("circles.csv", result.circles_table()),
            ("unmatched.csv", result.unmatched_table()),
        ):
            with out.open(out_dir / name) as stream:
                write_circle_table_csv(table, stream)
        with out.open(out_dir / "report.json") as stream:
            write_json(result.report(), stream)
        with out.open(out_dir / "summary.txt") as stream:
            stream.write((result.summary() + "\n").encode("utf-8"))


def write_survey(directory: str | Path, n: int = 600, *, seed: int = 0) -> tuple[Path, Path, Survey]:
    """A generated raw survey export (survey.csv, the ``gsb-circles-survey`` preset's headers) and
    its existing circles (circles.csv) in ``directory``, with what every row means
    (`flok.circles.survey`)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    survey = generate_survey(n, seed=seed)
    paths = (out / "survey.csv", out / "circles.csv")
    for path, rows, fields in (
        (paths[0], survey.rows, SURVEY_HEADERS),
        (paths[1], survey.circles, ("circle_id", "region", "location", "meeting_time", "max_additions")),
    ):
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
    return paths[0], paths[1], survey


def write_generated(directory: str | Path, n: int, *, seed: int = 0, **kwargs: float) -> tuple[Path, Path]:
    """Write generated participants.csv and circles.csv (`flok.circles.generate`) into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    people, circles = generate(n, seed=seed, **kwargs)  # type: ignore[arg-type]
    paths = (out / "participants.csv", out / "circles.csv")
    for path, rows, fields in ((paths[0], people, PARTICIPANT_FIELDS), (paths[1], circles, CIRCLE_FIELDS)):
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
    return paths
