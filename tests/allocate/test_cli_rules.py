"""CLI flags for side constraints and objectives, rule files, and ``flok explain``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from flok.cli.main import app

runner = CliRunner()
OPPS = "opportunity_id,capacity,min_size,category\nT1,2,,lab\nT2,3,,lab\nT3,4,3,talk\n"
PARTS = "participant_id,group,programme,max_seats\nana,g,cs,1\nben,g,cs,1\ncy,,math,2\ndee,,cs,1\n"
PREFS = (
    "participant_id,opportunity_id,rank,penalty\n"
    "ana,T1,1,0\nana,T2,2,0\nben,T1,1,0\nben,T2,2,0\ncy,T1,1,0\ncy,T3,2,0\ndee,T1,1,5\ndee,T2,2,0\n"
)


def _files(tmp: Path) -> list[str]:
    for name, text in (("o.csv", OPPS), ("u.csv", PARTS), ("p.csv", PREFS)):
        (tmp / name).write_text(text)
    return [
        "--opportunities",
        str(tmp / "o.csv"),
        "--participants",
        str(tmp / "u.csv"),
        "--preferences",
        str(tmp / "p.csv"),
        "--out",
        str(tmp / "a.csv"),
        "--report",
        str(tmp / "r.json"),
    ]


def _seats(tmp: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in csv.DictReader((tmp / "a.csv").open()):
        out.setdefault(row["participant_id"], [])
        if row["opportunity_id"]:
            out[row["participant_id"]].append(row["opportunity_id"])
    return out


def test_groups_min_size_and_report_say_which_solver_and_why(tmp_path: Path) -> None:
    result = runner.invoke(app, ["allocate", *_files(tmp_path)])
    assert result.exit_code == 0, result.output
    seats = _seats(tmp_path)
    assert seats["ana"] == seats["ben"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["strategy"] == "mip"  # auto: the exact MIP backend first for side constraints
    assert "groups" in report["strategy_reason"]
    assert report["cancelled"] == ["T3"]  # only cy wants T3 (min 3)
    assert "mip" in result.stdout
    result = runner.invoke(app, ["allocate", *_files(tmp_path), "--strategy", "cp_sat"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["strategy"] == "cp_sat"
    assert _seats(tmp_path)["ana"] == _seats(tmp_path)["ben"]


def test_forced_forbidden_and_quota_files(tmp_path: Path) -> None:
    args = _files(tmp_path)
    (tmp_path / "forbid.csv").write_text("participant_id,opportunity_id\ndee,T1\n")
    (tmp_path / "force.csv").write_text("participant_id,opportunity_id\ncy,T2\n")
    (tmp_path / "quota.csv").write_text(
        "opportunity_id,attribute,value,min,max,max_share\nT1,programme,cs,,1,\n"
    )
    result = runner.invoke(
        app,
        [
            "allocate",
            *args,
            "--forbidden",
            str(tmp_path / "forbid.csv"),
            "--forced",
            str(tmp_path / "force.csv"),
            "--quotas",
            str(tmp_path / "quota.csv"),
            "--group-mode",
            "soft",
        ],
    )
    assert result.exit_code == 0, result.output
    seats = _seats(tmp_path)
    assert "T1" not in seats["dee"]
    assert "T2" in seats["cy"]
    assert sum(1 for p in ("ana", "ben", "dee") if "T1" in seats[p]) <= 1


def test_bad_rule_files_name_file_row_and_field(tmp_path: Path) -> None:
    args = _files(tmp_path)
    (tmp_path / "force.csv").write_text("participant_id,opportunity_id\ncy,T2\nzed,T1\n")
    result = runner.invoke(app, ["allocate", *args, "--forced", str(tmp_path / "force.csv")])
    assert result.exit_code == 2
    assert "force.csv, row 3, field 'participant_id': unknown participant 'zed'" in result.stderr
    (tmp_path / "quota.csv").write_text("opportunity_id,attribute,value,min,max\nT1,programme,cs,2.5,\n")
    result = runner.invoke(app, ["allocate", *args, "--quotas", str(tmp_path / "quota.csv")])
    assert result.exit_code == 2
    assert "quota.csv, row 2, field 'min'" in result.stderr
    (tmp_path / "quota.csv").write_text("opportunity_id,attribute,value,max\nT1,colour,red,1\n")
    result = runner.invoke(app, ["allocate", *args, "--quotas", str(tmp_path / "quota.csv")])
    assert result.exit_code == 2
    assert "attribute 'colour'" in result.stderr
    assert not (tmp_path / "a.csv").exists()


def test_objective_flag_and_unknown_value(tmp_path: Path) -> None:
    args = _files(tmp_path)
    result = runner.invoke(app, ["allocate", *args, "--objective", "maximin", "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["options"]["objective"] == "maximin"
    result = runner.invoke(app, ["allocate", *args, "--objective", "fairest"])
    assert result.exit_code == 2


def test_explain_command(tmp_path: Path) -> None:
    args = _files(tmp_path)
    assert runner.invoke(app, ["allocate", *args]).exit_code == 0
    seats = _seats(tmp_path)
    loser = next(p for p in ("ana", "ben", "dee") if "T1" not in seats[p])
    result = runner.invoke(app, ["explain", "--report", str(tmp_path / "r.json"), "--participant", loser])
    assert result.exit_code == 0, result.output
    assert "choice 1 T1" in result.stdout
    result = runner.invoke(app, ["explain", "--report", str(tmp_path / "r.json"), "--participant", "nobody"])
    assert "nothing to explain" in result.stdout
    (tmp_path / "bad.json").write_text("{not json")
    result = runner.invoke(app, ["explain", "--report", str(tmp_path / "bad.json"), "--participant", "ana"])
    assert result.exit_code == 2


def test_json_options_with_quotas_and_pairs(tmp_path: Path) -> None:
    problem = {
        "opportunities": [{"opportunity_id": "A", "capacity": 2}, {"opportunity_id": "B", "capacity": 2}],
        "participants": [{"participant_id": p, "year": y} for p, y in (("a", "1"), ("b", "1"), ("c", "2"))],
        "preferences": [
            {"participant_id": p, "opportunity_id": o, "rank": r}
            for p in "abc"
            for o, r in (("A", 1), ("B", 2))
        ],
        "options": {
            "quotas": [{"opportunity": "A", "attribute": "year", "value": "1", "max": 1}],
            "forbidden": [["c", "B"]],
            "objective": "lexicographic",
        },
    }
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem))
    result = runner.invoke(app, ["allocate", str(path), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    seats = _seats(tmp_path)
    assert seats["c"] == ["A"]
    assert sorted(seats["a"] + seats["b"]) == ["A", "B"]
    problem["options"] = {"quotas": [{"attribute": "year", "value": "1"}]}
    path.write_text(json.dumps(problem))
    result = runner.invoke(app, ["allocate", str(path), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 2
    assert "quotas[1]" in result.stderr and "needs at least one of min, max, max_share" in result.stderr
