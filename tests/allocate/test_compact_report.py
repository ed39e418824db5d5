"""The compact report (issue 19): ``--explanations explanations.csv`` holds the same reasons as
report.json's mapping, report.json names the file instead, and ``flok explain`` reads either."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from flok.cli.main import app

runner = CliRunner()
OPPS = 'opportunity_id,capacity\nT1,1\nT2,1\n=T3,0\n"T,4",0\n'
PREFS = (
    "participant_id,opportunity_id,rank\n"
    "ana,T1,1\nana,T2,2\nben,T1,1\nben,=T3,2\nben,T2,3\n=cy,=T3,1\n=cy,T2,2\ndee,T2,1\n"
    'eve,"T,4",1\n'
)


def _allocate(tmp: Path, *extra: str) -> None:
    (tmp / "o.csv").write_text(OPPS)
    (tmp / "p.csv").write_text(PREFS)
    args = ["--opportunities", str(tmp / "o.csv"), "--preferences", str(tmp / "p.csv")]
    result = runner.invoke(app, ["allocate", *args, "--out", str(tmp / "a.csv"), *extra])
    assert result.exit_code == 0, result.output


def test_the_csv_holds_the_reports_reasons_and_the_report_names_it(tmp_path: Path) -> None:
    full, compact = tmp_path / "full", tmp_path / "compact"
    full.mkdir()
    (compact / "out").mkdir(parents=True)
    _allocate(full, "--report", str(full / "r.json"))
    _allocate(compact, "--report", str(compact / "r.json"), "--explanations", str(compact / "out" / "e.csv"))
    mapping = json.loads((full / "r.json").read_text())["explanations"]
    report = json.loads((compact / "r.json").read_text())
    assert "explanations" not in report
    assert report["explanations_file"] == "out/e.csv"  # relative to the report
    assert report["explained_participants"] == len(mapping) > 0
    with (compact / "out" / "e.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["participant_id", "seat", "rank", "opportunity_id", "code", "text"]
    expected = [
        {
            "participant_id": pid,
            "seat": ";".join(entry["seat"]),
            "rank": str(reason["rank"]),
            "opportunity_id": reason["opportunity_id"],
            "code": reason["code"],
            "text": reason["text"],
        }
        for pid, entry in mapping.items()
        for reason in entry["reasons"]
    ]

    def safe(v: str) -> str:  # a spreadsheet must not run "=cy" or "=T3 has no seats" as a formula
        return "'" + v if v[:1] == "=" else v

    assert rows == [{k: (v if k in ("rank", "code") else safe(v)) for k, v in r.items()} for r in expected]
    cy = {"participant_id": "'=cy", "opportunity_id": "'=T3", "code": "NO_SEATS"}
    assert any(cy.items() <= r.items() for r in rows)
    assert any(r["opportunity_id"] == "T,4" and r["text"] == "T,4 has no seats" for r in rows)  # quoted


def test_flok_explain_reads_the_compact_report_like_the_full_one(tmp_path: Path) -> None:
    full, compact = tmp_path / "full", tmp_path / "compact"
    full.mkdir()
    compact.mkdir()
    _allocate(full, "--report", str(full / "r.json"))
    _allocate(compact, "--report", str(compact / "r.json"), "--explanations", str(compact / "e.csv"))
    for who in ("ana", "ben", "=cy", "dee", "eve", "nobody"):
        said = [
            runner.invoke(app, ["explain", "--report", str(d / "r.json"), "--participant", who])
            for d in (full, compact)
        ]
        assert [r.exit_code for r in said] == [0, 0]
        assert said[1].stdout == said[0].stdout  # the formula guard is undone when read
        if who == "=cy":
            assert said[0].stdout.startswith("=cy: no seat\n  choice 1 =T3: =T3 has no seats [NO_SEATS]")


def test_explanations_alone_and_a_clash_with_another_output(tmp_path: Path) -> None:
    _allocate(tmp_path, "--explanations", str(tmp_path / "e.csv"))
    assert (tmp_path / "e.csv").read_text().startswith("participant_id,seat,rank,")
    result = runner.invoke(
        app,
        [
            "allocate",
            "--opportunities",
            str(tmp_path / "o.csv"),
            "--preferences",
            str(tmp_path / "p.csv"),
            "--out",
            str(tmp_path / "a.csv"),
            "--explanations",
            str(tmp_path / "a.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "--explanations" in result.output
