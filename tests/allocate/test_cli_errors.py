"""Issue 13, items 11-13, 15, 17: ``flok allocate``'s outputs, flags and rule files fail as one
precise line (exit 2) and write nothing; Flok's own failures are exit 4, never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flok.cli.main import app
from flok.errors import InputError
from flok.io import writers

runner = CliRunner()

OPPS = "opportunity_id,capacity\nT1,1\nT2,2\n"
PREFS = "participant_id,opportunity_id,rank\nana,T1,1\nana,T2,2\nbo,T1,1\nbo,T2,2\n"
SCORES = "participant_id,opportunity_id,score\nana,T1,3\nbo,T2,1\n"
PARTS = "participant_id,group,programme\nana,g,cs\nbo,g,math\n"


def _inputs(tmp: Path, prefs: str = PREFS) -> list[str]:
    (tmp / "o.csv").write_text(OPPS)
    (tmp / "p.csv").write_text(prefs)
    (tmp / "u.csv").write_text(PARTS)
    return ["--opportunities", str(tmp / "o.csv"), "--preferences", str(tmp / "p.csv")]


def _problem_json(tmp: Path, options: Mapping[str, object] | None = None) -> str:
    problem = {
        "opportunities": [{"opportunity_id": "T1", "capacity": 1}, {"opportunity_id": "T2", "capacity": 2}],
        "preferences": [
            {"participant_id": "ana", "opportunity_id": "T1", "rank": 1},
            {"participant_id": "bo", "opportunity_id": "T1", "rank": 1},
        ],
        "participants": [
            {"participant_id": "ana", "group": "g", "programme": "cs"},
            {"participant_id": "bo", "group": "g", "programme": "math"},
        ],
    }
    if options is not None:
        problem["options"] = dict(options)
    path = tmp / "problem.json"
    path.write_text(json.dumps(problem))
    return str(path)


def _one_line_error(result: object, code: int = 2) -> str:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    assert "╭" not in result.output  # type: ignore[attr-defined]
    return str(lines[0])


def _listing(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>" for p in folder.rglob("*")
    }


# --- item 11: output paths -------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--report", "--out"])
@pytest.mark.parametrize("source", ["csv", "json"])
def test_an_output_naming_a_directory_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, flag: str, source: str
) -> None:
    inputs = _inputs(tmp_path) if source == "csv" else [_problem_json(tmp_path)]
    (tmp_path / "assignments.csv").write_text("old\n")
    (tmp_path / "outdir").mkdir()
    paths = {"--out": str(tmp_path / "assignments.csv"), "--report": str(tmp_path / "report.json")}
    paths[flag] = str(tmp_path / "outdir")
    before = _listing(tmp_path)
    result = runner.invoke(app, ["allocate", *inputs, *[x for kv in paths.items() for x in kv]])
    line = _one_line_error(result)
    assert line.startswith("flok: error: ") and "outdir" in line and "directory" in line
    assert _listing(tmp_path) == before  # the old assignments.csv is kept, no temp file is left


def test_an_output_under_a_file_or_named_twice_is_refused_before_the_solve(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    (tmp_path / "plain").write_text("x")
    before = _listing(tmp_path)
    result = runner.invoke(app, ["allocate", *inputs, "--out", str(tmp_path / "plain" / "a.csv")])
    assert "is a file, not a directory" in _one_line_error(result)
    same = str(tmp_path / "a.csv")
    result = runner.invoke(app, ["allocate", *inputs, "--out", same, "--report", same])
    assert "--report names the same file as --out" in _one_line_error(result)
    assert _listing(tmp_path) == before


def test_an_unwritable_output_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _inputs(tmp_path)
    (tmp_path / "locked").mkdir()
    real_access = os.access
    monkeypatch.setattr(  # root may write anywhere: pretend the folder is read-only for everyone
        writers.os, "access", lambda p, mode: False if Path(p).name == "locked" else real_access(p, mode)
    )
    result = runner.invoke(app, ["allocate", *inputs, "--out", str(tmp_path / "locked" / "a.csv")])
    assert "permission denied" in _one_line_error(result)
    assert list((tmp_path / "locked").iterdir()) == []


@pytest.mark.parametrize("flag", ["--opportunities", "--preferences", "--participants", "--quotas"])
def test_an_input_naming_a_directory_is_one_line_exit_2(tmp_path: Path, flag: str) -> None:
    inputs = _inputs(tmp_path)
    (tmp_path / "folder").mkdir()
    args = [*inputs, "--participants", str(tmp_path / "u.csv")]
    if flag in args:
        args[args.index(flag) + 1] = str(tmp_path / "folder")
    else:
        args += [flag, str(tmp_path / "folder")]
    result = runner.invoke(app, ["allocate", *args, "--out", str(tmp_path / "a.csv")])
    assert "folder: is a directory" in _one_line_error(result)
    assert not (tmp_path / "a.csv").exists()


def test_a_json_problem_naming_a_directory_is_one_line_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["allocate", str(tmp_path), "--out", str(tmp_path / "a.csv")])
    assert "is a directory" in _one_line_error(result)


FAIL_AT = st.integers(min_value=0, max_value=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fail_at=FAIL_AT, old=st.lists(st.booleans(), min_size=3, max_size=3), data=st.data())
def test_a_failed_run_writes_nothing_whatever_step_fails(
    tmp_path_factory: pytest.TempPathFactory, fail_at: int, old: list[bool], data: st.DataObject
) -> None:
    """Property: a failure at any step (a write, a rename, an error in between) leaves every
    output as it was and no temporary file; without a failure every output is new."""
    folder = tmp_path_factory.mktemp("out")
    names = ["assignments.csv", "report.json", "sub/extra.csv"]
    for name, exists in zip(names, old, strict=True):
        if exists:
            (folder / name).parent.mkdir(exist_ok=True)
            (folder / name).write_text(f"old {name}")
    before = _listing(folder)
    steps = {"n": 0}

    def tick() -> None:
        steps["n"] += 1
        if steps["n"] == fail_at:
            raise OSError(28, "No space left on device")

    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        tick()
        real_replace(src, dst)  # type: ignore[arg-type]

    failure = data.draw(st.sampled_from(["oserror", "input", "bug"]))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(writers.os, "replace", replace)
            with writers.outputs() as out:
                for name in names:
                    with out.open(folder / name) as stream:
                        tick()
                        stream.write(f"new {name}".encode())
                    if steps["n"] + 1 == fail_at and failure != "oserror":
                        steps["n"] += 1
                        raise InputError("bad") if failure == "input" else RuntimeError("bug")
    except (InputError, RuntimeError):
        failed = True
    else:
        failed = False
    after = _listing(folder)
    if failed:
        assert after == before
    else:
        assert {n: after[n] for n in names} == {n: f"new {n}".encode() for n in names}
        assert not [n for n in after if n.split("/")[-1].startswith(".")]


@pytest.mark.parametrize("b_exists", [False, True])
@pytest.mark.parametrize(("fail_at", "named"), [(1, "a.csv"), (2, "a.csv"), (3, "b.json")])
def test_outputs_commit_failure_is_an_input_error_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int, named: str, b_exists: bool
) -> None:
    (tmp_path / "a.csv").write_text("old")
    if b_exists:
        (tmp_path / "b.json").write_text("old b")
    out = writers.Outputs()
    with out.open(tmp_path / "a.csv") as s:
        s.write(b"new")
    with out.open(tmp_path / "b.json") as s:
        s.write(b"{}")
    calls = {"n": 0}
    real = os.replace

    def flaky(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:  # 1: a.csv moved aside, 2: new a.csv in place, 3: b.json
            raise PermissionError(13, "Permission denied")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(writers.os, "replace", flaky)
    with pytest.raises(InputError, match=rf"{named}: cannot write: Permission denied"):
        out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", *(["b.json"] if b_exists else [])]
    assert (tmp_path / "a.csv").read_text() == "old"
    if b_exists:
        assert (tmp_path / "b.json").read_text() == "old b"


def test_check_targets_allows_stdout_and_missing_folders(tmp_path: Path) -> None:
    writers.check_targets({"--out": "-", "--report": tmp_path / "new" / "deeper" / "r.json"})
    assert not (tmp_path / "new").exists()


# --- item 12: flags share the JSON options' validation --------------------------------------------


FLAG_CASES = [
    ("--min-score", "nan", "min_score", float("nan"), "must be a finite number"),
    ("--min-score", "inf", "min_score", float("inf"), "must be a finite number"),
    ("--group-penalty", "-1", "group_penalty", -1, "must be ≥ 0"),
    ("--category-limit", "-1", "category_limit", -1, "must be a whole number ≥ 1"),
    ("--category-limit", "0", "category_limit", 0, "must be a whole number ≥ 1"),
    ("--time-limit", "0", "time_limit", 0, "must be ≥ 0.001"),
    ("--time-limit", "-5", "time_limit", -5, "must be ≥ 0.001"),
    ("--group-mode", "loose", "group_mode", "loose", "must be one of hard, soft"),
    ("--objective", "fairest", "objective", "fairest", "must be one of sum, lexicographic, maximin"),
]


@pytest.mark.parametrize(
    ("flag", "text", "key", "raw", "words"), FLAG_CASES, ids=[c[0] + c[1] for c in FLAG_CASES]
)
def test_a_bad_flag_value_is_refused_like_the_same_json_option(
    tmp_path: Path, flag: str, text: str, key: str, raw: object, words: str
) -> None:
    prefs = SCORES if key == "min_score" else PREFS
    args = [*_inputs(tmp_path, prefs), "--participants", str(tmp_path / "u.csv")]
    result = runner.invoke(app, ["allocate", *args, "--out", str(tmp_path / "a.csv"), flag, text])
    line = _one_line_error(result)
    assert line.startswith(f"flok: error: {flag}: {words}"), line
    assert not (tmp_path / "a.csv").exists()
    if raw == raw and raw not in (float("inf"),):  # JSON has no NaN/inf; the same value in JSON options
        result = runner.invoke(
            app, ["allocate", _problem_json(tmp_path, {key: raw}), "--out", str(tmp_path / "a.csv")]
        )
        json_line = _one_line_error(result)
        assert f"field '{key}': {words}" in json_line, json_line


def test_good_flag_values_still_work(tmp_path: Path) -> None:
    args = [*_inputs(tmp_path), "--participants", str(tmp_path / "u.csv"), "--out", str(tmp_path / "a.csv")]
    extra = ["--category-limit", "1", "--group-mode", "soft", "--group-penalty", "0.5", "--time-limit", "5"]
    result = runner.invoke(app, ["allocate", *args, *extra, "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    options = json.loads((tmp_path / "r.json").read_text())["options"]
    assert options["category_limit"] == {"*": 1}
    assert (options["group_mode"], options["group_penalty"], options["time_limit"]) == ("soft", 0.5, 5.0)


# --- item 13: rule files located, usage errors one line ------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--objective", "fairest"], "--objective: must be one of"),
        (["--strategy", "magic"], "--strategy: must be one of auto, native_flow, min_cost_flow, mip, cp_sat"),
        (["--seed", "abc"], "Invalid value for '--seed'"),
        (["--time-limit", "soon"], "Invalid value for '--time-limit'"),
        (["--bogus"], "No such option: --bogus"),
    ],
)
def test_bad_usage_is_one_line_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, ["allocate", *_inputs(tmp_path), "--out", str(tmp_path / "a.csv"), *args])
    line = _one_line_error(result)
    assert line.startswith("flok: error: ") and words in line, line


@pytest.mark.parametrize(
    ("quotas", "where"),
    [
        (
            "opportunity_id,attribute,value,max\nT1,programme,cs,1\n,colour,red,1\n",
            "row 3, field 'attribute'",
        ),
        ("opportunity_id,attribute,value,max\nT9,programme,cs,1\n", "row 2, field 'opportunity_id'"),
    ],
)
def test_a_quota_file_naming_unknown_things_names_its_row(tmp_path: Path, quotas: str, where: str) -> None:
    (tmp_path / "quotas.csv").write_text(quotas)
    args = [
        *_inputs(tmp_path),
        "--participants",
        str(tmp_path / "u.csv"),
        "--quotas",
        str(tmp_path / "quotas.csv"),
    ]
    line = _one_line_error(runner.invoke(app, ["allocate", *args, "--out", str(tmp_path / "a.csv")]))
    assert f"quotas.csv, {where}" in line, line
    assert "options" not in line


def test_a_pair_both_forced_and_forbidden_names_the_row(tmp_path: Path) -> None:
    (tmp_path / "forbid.csv").write_text("participant_id,opportunity_id\nana,T1\n")
    (tmp_path / "force.csv").write_text("participant_id,opportunity_id\nbo,T2\nana,T1\n")
    args = [
        *_inputs(tmp_path),
        "--forbidden",
        str(tmp_path / "forbid.csv"),
        "--forced",
        str(tmp_path / "force.csv"),
    ]
    line = _one_line_error(runner.invoke(app, ["allocate", *args, "--out", str(tmp_path / "a.csv")]))
    assert "force.csv, row 3" in line and "both forced and forbidden" in line, line
    options = {"forced": [["bo", "T2"], ["ana", "T1"]], "forbidden": [["ana", "T1"]]}
    line = _one_line_error(runner.invoke(app, ["allocate", _problem_json(tmp_path, options), "--out", "-"]))
    assert "problem.json options, row 2, field 'forced'" in line and "both forced and forbidden" in line, line


# --- item 15: huge but valid ranks -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [None, "3"])
def test_a_huge_valid_rank_never_ends_in_a_traceback_or_memory_error(
    tmp_path: Path, seed: str | None
) -> None:
    prefs = "participant_id,opportunity_id,rank\nana,T1,1\nana,T2,1000000000000000\nbo,T1,2\n"
    extra = ["--seed", seed] if seed else []
    result = runner.invoke(
        app, ["allocate", *_inputs(tmp_path, prefs), "--out", str(tmp_path / "a.csv"), *extra]
    )
    assert "Traceback" not in result.output and "MemoryError" not in result.output
    if seed is None:
        assert result.exit_code == 0, result.output  # the rank histogram no longer needs 10^15 slots
    elif result.exit_code != 0:
        line = _one_line_error(result, result.exit_code)
        assert result.exit_code in (2, 4)
        if result.exit_code == 2:  # refused as out of the supported range: names the value's field
            assert "field 'rank'" in line and "T2" in line
        else:
            assert "Flok's fault" in line


# --- item 17: help ------------------------------------------------------------------------------------


def test_help_lists_every_strategy_and_the_time_limit_for_mip_and_cp_sat() -> None:
    result = runner.invoke(app, ["allocate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())
    assert "auto, native_flow, min_cost_flow, mip, cp_sat" in text
    assert "CP-SAT time limit" not in text
    assert "mip and cp_sat" in text


# --- property: flags x strategies x lottery — refused exactly when JSON would refuse ------------------

FLOATS = st.sampled_from([float("nan"), float("inf"), -1.0, 0.0, 0.0005, 0.5, 2.0])
SCORE_PREFS = "participant_id,opportunity_id,score\nana,T1,3\nana,T2,1\nbo,T1,2\nbo,T2,-1\ncy,T1,1\n"


def _bad(key: str, value: float | int) -> bool:
    if key == "category_limit":
        return value < 1
    if value != value or value in (float("inf"), float("-inf")):
        return True
    return (key == "group_penalty" and value < 0) or (key == "time_limit" and value < 0.001)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    strategy=st.sampled_from(["auto", "min_cost_flow", "mip", "cp_sat"]),
    seed=st.one_of(st.none(), st.integers(min_value=0, max_value=2**31)),
    values=st.fixed_dictionaries(
        {},
        optional={
            "min_score": FLOATS,
            "group_penalty": FLOATS,
            "time_limit": FLOATS,
            "category_limit": st.integers(min_value=-2, max_value=3),
        },
    ),
)
def test_property_flags_are_refused_exactly_when_their_json_option_would_be(
    tmp_path_factory: pytest.TempPathFactory, strategy: str, seed: int | None, values: dict[str, float]
) -> None:
    tmp = tmp_path_factory.mktemp("flags")
    args = [*_inputs(tmp, SCORE_PREFS), "--out", str(tmp / "a.csv"), "--report", str(tmp / "r.json")]
    args += ["--strategy", strategy, *(["--seed", str(seed)] if seed is not None else [])]
    for key, value in values.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    result = runner.invoke(app, ["allocate", *args])
    bad = {f"--{k.replace('_', '-')}" for k, v in values.items() if _bad(k, v)}
    if bad:
        line = _one_line_error(result)
        assert line.split(": ")[2] in bad, (line, bad)
        assert sorted(p.name for p in tmp.iterdir()) == ["o.csv", "p.csv", "u.csv"]
    else:
        assert result.exit_code == 0, result.output
        options = json.loads((tmp / "r.json").read_text())["options"]
        for key, value in values.items():
            expected = {"*": value} if key == "category_limit" else value
            assert options[key] == expected
        assert options["seed"] == seed


@pytest.mark.parametrize(
    "command",
    [
        ["allocate"],
        ["explain"],
        ["circles"],
        ["pulse"],
        ["rebalance"],
        ["simulate"],
        ["bench", "allocate"],
        ["keys", "list"],
    ],
)
def test_every_command_reports_a_usage_error_in_one_line(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--no-such-flag"])
    line = _one_line_error(result)
    assert line.startswith("flok: error: No such option: --no-such-flag"), line
    assert f"(see flok {' '.join(command)} --help)" in line, line


def test_a_json_quota_naming_an_unknown_attribute_names_the_json_file(tmp_path: Path) -> None:
    options = {
        "quotas": [
            {"attribute": "programme", "value": "cs", "max": 1},
            {"attribute": "colour", "value": "red", "max": 1},
        ]
    }
    line = _one_line_error(runner.invoke(app, ["allocate", _problem_json(tmp_path, options), "--out", "-"]))
    assert "problem.json options, field 'quotas[2].attribute': quota names attribute 'colour'" in line, line


@pytest.mark.parametrize("source", ["csv", "json"])
def test_a_solver_s_input_refusal_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """The solvers refuse values outside their exact range naming the table; the CLI names the file."""
    import flok.cli.allocate as cli_allocate

    def refuse(*args: object, **kwargs: object) -> None:
        raise InputError("rank 1e15 is out of the exact range", source="preferences", field="rank")

    monkeypatch.setattr(cli_allocate, "allocate", refuse)
    inputs = _inputs(tmp_path) if source == "csv" else [_problem_json(tmp_path)]
    line = _one_line_error(runner.invoke(app, ["allocate", *inputs, "--out", str(tmp_path / "a.csv")]))
    where = "p.csv" if source == "csv" else "problem.json preferences"
    assert line == f"flok: error: {where}, field 'rank': rank 1e15 is out of the exact range", line


def test_a_reader_that_leaves_early_is_not_an_internal_error(tmp_path: Path) -> None:
    """``flok circles … | head -2`` once ended with "internal error: BrokenPipeError", exit 4:
    a command whose reader went away ends quietly with 141 (128 + SIGPIPE), as shell tools do."""
    import subprocess
    import sys

    script = (
        "import typer\n"
        "from flok.cli.app import guarded\n"
        "app = typer.Typer()\n"
        "@app.command()\n"
        "@guarded\n"
        "def lots() -> None:\n"
        "    for i in range(200_000):\n"
        "        print(f'line {i}')\n"
        "app()\n"
    )
    pipe = subprocess.PIPE
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, stdout=pipe, stderr=pipe, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == "line 0\n"
    proc.stdout.close()  # the reader goes away with most of the output unwritten
    err = proc.stderr.read()
    assert proc.wait(timeout=180) == 141, err
    assert err == "", err
