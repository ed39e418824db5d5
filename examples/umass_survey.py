"""Turn the UMass CICS course-preference survey (Fall 2024) into Flok's three CSV files.

The survey (github.com/Fair-and-Explainable-Decision-Making/course-allocation-data, MIT) comes
as three files: ``survey_data.csv`` (one row per student, one column per course rated 1-7, 8 =
needed for a major requirement; column ``3`` = how many courses the student will stay in),
``survey_column_mapping.csv`` (which course each rating column is, as HTML) and
``anonymized_courses.xlsx`` (each section: capacity, days, meeting time). Usage::

    python examples/umass_survey.py SURVEY_DIR OUT_DIR

writes ``OUT_DIR/opportunities.csv`` (one row per section, with its weekly ``meetings`` and its
course as ``category``), ``preferences.csv`` (a ``score`` per student and section; a rating of a
course with several sections counts for each of them) and ``participants.csv`` (``max_seats``
from column ``3``), then prints what it kept and what it left out. docs/side-constraints.md
("Worked example: a real course survey") allocates the result.

Survey columns share names (``7 _1`` appears twice); like the mapping file, the second one is
read as ``7 _1.1``. A rating column that names sections the course list does not have (such as
``DEPT 301-01,02``, listed once as section 01) takes the sections that are there; a course not
in the course list at all has no capacity and is left out, and the summary says so.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from python_calamine import CalamineWorkbook

COURSE = re.compile(r"Course:\s*(?P<subject>[A-Z]+)\s+(?P<catalog>\d+)(?:-(?P<sections>[\d,]+))?")


@dataclass(frozen=True)
class Section:
    opportunity_id: str
    catalog: str
    section: str
    capacity: int
    meetings: str


class _Text(HTMLParser):
    """The visible text of a mapping cell (tags dropped, entities such as &nbsp; decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).replace("\xa0", " ").split())


def read_sections(path: Path) -> list[Section]:
    """One Section per row of the course list (first sheet), with its meetings as Flok reads them."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [str(h).strip() for h in rows[0]]
    col = {
        name: header.index(name)
        for name in ("Catalog", "Subject", "Enrl Capacity", "Section", "zc.days", "Mtg Time")
    }
    out = []
    for row in rows[1:]:
        catalog, section = str(row[col["Catalog"]]).strip(), str(row[col["Section"]]).strip()
        days, time = str(row[col["zc.days"]]).strip(), str(row[col["Mtg Time"]]).strip()
        out.append(
            Section(
                opportunity_id=f"{row[col['Subject']]} {catalog}-{section}",
                catalog=catalog,
                section=section,
                capacity=int(float(str(row[col["Enrl Capacity"]]))),  # a spreadsheet number: 90.0
                meetings=f"{days} {time}" if days and time else "",
            )
        )
    return out


def read_mapping(path: Path) -> dict[str, tuple[str, list[str] | None]]:
    """Rating column -> (catalog number, listed sections or None for every section)."""
    out = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="|"):
            found = COURSE.search(visible_text(row["description"]))
            if row["question"].startswith("7") and found:
                sections = found["sections"].split(",") if found["sections"] else None
                out[row["question"]] = (found["catalog"], sections)
    return out


def unique_headers(header: list[str]) -> list[str]:
    """Repeated names get .1, .2, ... in order, as the mapping file names them."""
    seen: Counter[str] = Counter()
    out = []
    for name in header:
        out.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    return out


def prepare(survey_dir: Path, out_dir: Path) -> dict[str, int]:
    sections = read_sections(survey_dir / "anonymized_courses.xlsx")
    mapping = read_mapping(survey_dir / "survey_column_mapping.csv")
    rated = column_sections(survey_dir)
    with (survey_dir / "survey_data.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = unique_headers(next(reader))
        responses = [dict(zip(header, row, strict=True)) for row in reader]

    out_dir.mkdir(parents=True, exist_ok=True)
    participants, preferences = [], []
    for r in responses:
        scores: dict[str, int] = {}
        for column, offered in rated.items():
            if r.get(column, "").strip():
                for sid in offered:  # a course rated once counts for each of its sections
                    scores[sid] = max(scores.get(sid, 0), int(r[column]))
        if scores:
            participants.append(
                {"participant_id": r["ResponseId"], "max_seats": r["3"] or r["2"] or "1", "status": r["1"]}
            )
            preferences += [
                {"participant_id": r["ResponseId"], "opportunity_id": o, "score": v}
                for o, v in scores.items()
            ]
    _write(
        out_dir / "opportunities.csv",
        [
            {
                "opportunity_id": s.opportunity_id,
                "capacity": s.capacity,
                "category": s.catalog,
                "meetings": s.meetings,
            }
            for s in sections
        ],
    )
    _write(out_dir / "preferences.csv", preferences)
    _write(out_dir / "participants.csv", participants)
    return {
        "responses": len(responses),
        "participants": len(participants),
        "no_ratings": len(responses) - len(participants),
        "sections": len(sections),
        "rating_columns": len(mapping),
        "columns_without_sections": len(mapping) - len(rated),
        "preferences": len(preferences),
    }


def column_sections(survey_dir: Path) -> dict[str, list[str]]:
    """Rating column -> the ids of the offered sections it rates (columns rating none left out)."""
    by_catalog: dict[str, list[Section]] = defaultdict(list)
    for s in read_sections(survey_dir / "anonymized_courses.xlsx"):
        by_catalog[s.catalog].append(s)
    out = {}
    for column, (catalog, listed) in read_mapping(survey_dir / "survey_column_mapping.csv").items():
        offered = [
            s.opportunity_id for s in by_catalog.get(catalog, []) if listed is None or s.section in listed
        ]
        if offered:
            out[column] = offered
    return out


def preset_toml(survey_dir: Path) -> str:
    """The ``umass-survey`` import preset: this script's join of rating columns to sections, saved
    once so that ``flok allocate --preset umass-survey`` reads the survey with no script at all."""
    lines = [
        "# The UMass CICS course-preference survey (Fall 2024; tests/data/umass/README.md): one row per",
        "# student (ResponseId), one column per course rated 1-7 (8 = needed for a major requirement).",
        "# Each rating column stands for the course's offered sections, as survey_column_mapping.csv",
        "# says (its HTML read by examples/umass_survey.py, which wrote this table with --preset);",
        "# columns rating a course the course list does not have are left out (no capacity).",
        "# Use with umass-courses (anonymized_courses.xlsx) and umass-students (the same survey file):",
        "#   flok allocate --preferences survey_data.csv --preset umass-survey \\",
        "#     --opportunities anonymized_courses.xlsx --opportunities-preset umass-courses \\",
        "#     --participants survey_data.csv --participants-preset umass-students \\",
        "#     --min-score 2 --category-limit 1",
        'description = "UMass course survey: ResponseId, one rating column per course (score), '
        'sections from the course list"',
        'kind = "preferences"',
        'shape = "columns"',
        'value = "score"',
        "",
        "[columns]",
        'participant_id = "ResponseId"',
        "",
        "[column_opportunities]",
    ]
    for column, sections in column_sections(survey_dir).items():
        ids = ", ".join(f'"{s}"' for s in sections)
        lines.append(f'"{column}" = [{ids}]')
    return "\n".join(lines) + "\n"


def _write(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--preset":
        sys.stdout.write(preset_toml(Path(argv[1])))
        return 0
    if len(argv) != 2:
        print(
            "usage: python examples/umass_survey.py SURVEY_DIR OUT_DIR\n"
            "       python examples/umass_survey.py --preset SURVEY_DIR > umass-survey.toml",
            file=sys.stderr,
        )
        return 2
    counts = prepare(Path(argv[0]), Path(argv[1]))
    print(
        f"{counts['responses']} responses: {counts['participants']} rated at least one offered course "
        f"({counts['preferences']} preferences), {counts['no_ratings']} rated none and are left out; "
        f"{counts['sections']} sections; {counts['columns_without_sections']} of {counts['rating_columns']} "
        "rated courses are not in the course list (no capacity) and are left out"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
