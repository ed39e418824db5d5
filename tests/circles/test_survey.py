"""A raw survey export, as staff download it, to circles in one command (issue 16, item 12).

The export comes from `flok.circles.survey`, which also says what every answer means without
using Flok's readers, so each person read through the `gsb-circles-survey` preset is compared
with that truth: any silent misread fails here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.circles import CircleOptions, form
from flok.circles.places import location_key
from flok.circles.roster import roster_from_tables
from flok.circles.survey import Survey
from flok.circles.verify import violations
from flok.cli.main import app
from flok.errors import InputError
from flok.io.circles import read_tables, write_survey
from flok.io.mapping import ImportSpec

PRESET = ImportSpec(preset="gsb-circles-survey")
ATTRIBUTES = "gsb class year,employment status,industry sector,racial identity,children"


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Survey]:
    return write_survey(tmp_path_factory.mktemp("survey"), 600, seed=16)


def test_every_answer_of_the_raw_survey_is_read_as_meant_or_listed(survey: tuple[Path, Path, Survey]) -> None:
    path, circles, truth = survey
    people, existing = read_tables(path, circles, participants_spec=PRESET)
    roster = roster_from_tables(people, existing, CircleOptions(mode="preserve", lenient_times=True))
    assert len(roster.people) == len(truth.truth) == 600
    misread = []
    for p, t in zip(roster.people, truth.truth, strict=True):
        read = (
            p.pid,
            p.row,
            p.status,
            p.host,
            p.co_lead,
            p.current_co_leader,
            p.max_new,
            p.locations,
            p.times,
        )
        meant = (
            t.pid,
            t.row,
            t.status,
            t.host,
            t.co_lead,
            t.current_co_leader,
            t.max_new,
            tuple(location_key(x) for x in t.places),
            t.masks,
        )
        if read != meant:
            misread.append((read, meant))
    assert misread == []
    # Every answer not understood is listed with its row and the survey's own column.
    assert [(i.row, i.column, i.value) for i in roster.issues] == truth.unreadable
    assert truth.unreadable, "the generated export holds unreadable times"
    for typo in truth.typos:
        assert any(typo in w and "look alike" in w for w in roster.warnings), typo
    assert any(
        f"{len(truth.unknown_circles)} continuing participants name a circle" in w for w in roster.warnings
    )
    # The co-leaders' answers decided the limits of the circles they lead.
    assert "co-leaders" in {c.limit_from for c in roster.circles.values()}


def test_one_command_from_the_raw_survey_to_circles(
    survey: tuple[Path, Path, Survey], tmp_path: Path
) -> None:
    path, circles, truth = survey
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        [
            "circles",
            *("--participants", str(path), "--circles", str(circles), "--preset", "gsb-circles-survey"),
            *("--mode", "preserve", "--lenient-times", "--attribute", ATTRIBUTES, "--keep", "email"),
            *("--out-dir", str(out)),
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert [(i["row"], i["column"], i["value"]) for i in report["time_issues"]] == truth.unreadable
    assert report["matched_proven_maximal"]
    assignments = list(csv.DictReader((out / "assignments.csv").open(encoding="utf-8")))
    assert [a["participant_id"] for a in assignments] == [t.pid for t in truth.truth]
    for a in assignments:
        assert bool(a["circle_id"]) != bool(a["reason_code"]), a
        if a["circle_id"]:
            assert a["meeting_time"] and a["location"] and a["role"] != "unmatched"
    roster = list(csv.DictReader((out / "roster.csv").open(encoding="utf-8")))
    placed = [a for a in assignments if a["circle_id"]]
    assert sum(int(r["size"]) for r in roster) == len(placed) == report["matched"]
    new_ids = [r["circle_id"] for r in roster if "-NEW-" in r["circle_id"]]
    assert new_ids and all(
        cid.split("-")[1] in {"SFO", "SEA", "NYC", "LON", "PST", "EST", "GMT"} for cid in new_ids
    )
    first = roster[0]
    assert first["email"].count("@") == int(first["size"])
    assert (out / "summary.txt").read_text().startswith("Matched")
    # And the same run in the library holds every rule.
    people, existing = read_tables(path, circles, participants_spec=PRESET)
    result = form(people, existing, mode="preserve", lenient_times=True)
    assert violations(result) == []


def test_without_lenient_times_every_unreadable_answer_is_named(survey: tuple[Path, Path, Survey]) -> None:
    path, circles, truth = survey
    people, existing = read_tables(path, circles, participants_spec=PRESET)
    with pytest.raises(InputError) as err:
        roster_from_tables(people, existing, CircleOptions())
    text = str(err.value)
    row, column, value = truth.unreadable[0]
    assert f"row {row}" in text and f"'{column}'" in text and value in text
    for row, _column, value in truth.unreadable[1:10]:
        assert f"row {row}" in text and value in text
