"""Issue 13, item 14: inputs Flok used to accept silently — misspelt columns, a start without an
end, a min_size above the capacity, a list where a number belongs."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flok.cli.main import app
from flok.errors import InputError
from flok.model import OPPORTUNITY_COLUMNS, PARTICIPANT_COLUMNS, PREFERENCE_COLUMNS, Problem
from flok.table import NEAR_MISS

runner = CliRunner()

OPPS: list[dict[str, Any]] = [
    {"opportunity_id": "T1", "capacity": 2},
    {"opportunity_id": "T2", "capacity": 1},
]
PREFS: list[dict[str, Any]] = [
    {"participant_id": "ana", "opportunity_id": "T1", "rank": 1},
    {"participant_id": "bo", "opportunity_id": "T2", "rank": 1},
]
PARTS: list[dict[str, Any]] = [{"participant_id": "ana"}, {"participant_id": "bo"}]


def _with(records: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [{**r, **extra} for r in records]


def _csv(records: list[dict[str, Any]]) -> str:
    names = list(records[0])
    return ",".join(names) + "\n" + "".join(",".join(str(r[n]) for n in names) + "\n" for r in records)


def _cli(
    tmp: Path, opps: list[dict[str, Any]], prefs: list[dict[str, Any]], parts: list[dict[str, Any]] | None
):
    (tmp / "opportunities.csv").write_text(_csv(opps))
    (tmp / "preferences.csv").write_text(_csv(prefs))
    args = ["allocate", "--opportunities", str(tmp / "opportunities.csv")]
    args += ["--preferences", str(tmp / "preferences.csv")]
    if parts is not None:
        (tmp / "participants.csv").write_text(_csv(parts))
        args += ["--participants", str(tmp / "participants.csv")]
    return runner.invoke(app, [*args, "--out", str(tmp / "a.csv"), "--report", str(tmp / "r.json")])


def _json(
    tmp: Path, opps: list[dict[str, Any]], prefs: list[dict[str, Any]], parts: list[dict[str, Any]] | None
):
    problem: dict[str, Any] = {"opportunities": opps, "preferences": prefs}
    if parts is not None:
        problem["participants"] = parts
    (tmp / "problem.json").write_text(json.dumps(problem))
    return runner.invoke(app, ["allocate", str(tmp / "problem.json"), "--out", str(tmp / "a.csv")])


MISSPELT = [
    ("opportunities", "min_sise", "min_size"),
    ("opportunities", "catgory", "category"),
    ("opportunities", "min size", "min_size"),
    ("preferences", "penalti", "penalty"),
    ("participants", "grup", "group"),
    ("participants", "max_seat", "max_seats"),
]


@pytest.mark.parametrize("via", [_cli, _json], ids=["csv", "json"])
@pytest.mark.parametrize(("table", "typo", "meant"), MISSPELT)
def test_a_misspelt_optional_column_is_an_error_naming_the_intended_one(
    tmp_path: Path, via: Any, table: str, typo: str, meant: str
) -> None:
    data: dict[str, list[dict[str, Any]]] = {
        "opportunities": OPPS,
        "preferences": PREFS,
        "participants": PARTS,
    }
    data[table] = _with(data[table], **{typo: 1})
    result = via(tmp_path, data["opportunities"], data["preferences"], data["participants"])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"field '{typo}': unknown column '{typo}'; did you mean '{meant}'?" in line, line
    assert table in line
    assert not (tmp_path / "a.csv").exists()


def test_other_unknown_columns_are_listed_as_ignored_in_summary_and_report(tmp_path: Path) -> None:
    opps = _with(OPPS, room="A1", teacher="Kim")
    prefs = _with(PREFS, submitted="monday")
    parts = _with(PARTS, programme="cs")  # an attribute, used by quotas: not "ignored"
    result = _cli(tmp_path, opps, prefs, parts)
    assert result.exit_code == 0, result.output
    assert "Ignored columns of opportunities.csv (not used by Flok): room, teacher" in result.stdout
    assert "Ignored columns of preferences.csv (not used by Flok): submitted" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ignored_columns"] == {
        "opportunities.csv": ["room", "teacher"],
        "preferences.csv": ["submitted"],
    }
    clean = _cli(tmp_path, OPPS, PREFS, PARTS)
    assert "Ignored" not in clean.stdout and "ignored_columns" not in json.loads(
        (tmp_path / "r.json").read_text()
    )


def test_every_documented_column_is_known(tmp_path: Path) -> None:
    opps = _with(
        OPPS,
        title="t",
        category="c",
        start="2026-01-05T10:00",
        end="2026-01-05T11:00",
        location="x",
        lat=1.0,
        lon=2.0,
        min_size=1,
    )
    prefs = _with(PREFS, penalty=0)
    parts = _with(PARTS, max_seats=1, group="")
    result = _cli(tmp_path, opps, prefs, parts)
    assert result.exit_code == 0, result.output
    assert "Ignored" not in result.stdout


@pytest.mark.parametrize("via", [_cli, _json], ids=["csv", "json"])
@pytest.mark.parametrize(("have", "need"), [("start", "end"), ("end", "start")])
def test_a_start_without_an_end_is_refused_naming_the_missing_column(
    tmp_path: Path, via: Any, have: str, need: str
) -> None:
    result = via(tmp_path, _with(OPPS, **{have: "2026-01-05T10:00"}), PREFS, None)
    assert result.exit_code == 2, result.output
    assert f"field '{need}': column '{have}' needs a column '{need}' too" in result.stderr


@pytest.mark.parametrize("via", [_cli, _json], ids=["csv", "json"])
def test_min_size_above_capacity_is_refused_with_row_and_field(tmp_path: Path, via: Any) -> None:
    opps = [
        {"opportunity_id": "T1", "capacity": 2, "min_size": 2},
        {"opportunity_id": "T2", "capacity": 1, "min_size": 3},
    ]
    result = via(tmp_path, opps, PREFS, None)
    assert result.exit_code == 2, result.output
    row = "row 3" if via is _cli else "row 2"
    assert (
        f"{row}, field 'min_size': min_size 3 is more than the capacity 1, so 'T2' could never run"
        in result.stderr
    )


def test_min_size_on_a_closed_opportunity_is_fine(tmp_path: Path) -> None:
    opps = [
        {"opportunity_id": "T1", "capacity": 2, "min_size": 1},
        {"opportunity_id": "T2", "capacity": 0, "min_size": 3},
    ]
    assert _json(tmp_path, opps, PREFS, None).exit_code == 0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("capacity", [2], "field 'capacity': must be a whole number of seats, got a list"),
        ("capacity", {"n": 2}, "field 'capacity': must be a whole number of seats, got an object"),
        ("min_size", [1], "field 'min_size': must be a whole number, got a list"),
        ("opportunity_id", ["T1"], "field 'opportunity_id': must be one id, got a list"),
        ("start", ["2026-01-05T10:00"], "field 'start': must be one time, got a list"),
    ],
)
def test_a_list_where_one_value_belongs_is_refused(
    tmp_path: Path, field: str, value: Any, words: str
) -> None:
    opps = [dict(OPPS[0], end="2026-01-05T11:00", start="2026-01-05T10:00"), dict(OPPS[1])]
    opps[0][field] = value
    opps[1].update(start="", end="")
    result = _json(tmp_path, opps, PREFS, None)
    assert result.exit_code == 2, result.output
    assert f"problem.json opportunities, row 1, {words}" in result.stderr, result.stderr


def test_a_list_of_ranks_is_refused_too() -> None:
    prefs = [dict(PREFS[0], rank=[1]), PREFS[1]]
    with pytest.raises(InputError, match="row 1, field 'rank': must be a whole-number rank, got a list"):
        Problem.from_records(opportunities=OPPS, preferences=prefs)


# --- property: a one-letter slip of a known column is always caught ---------------------------------


def _edits(name: str) -> st.SearchStrategy[str]:
    letters = "abcdefghijklmnopqrstuvwxyz_"
    i = st.integers(min_value=0, max_value=len(name) - 1)
    return st.one_of(
        i.map(lambda k: name[:k] + name[k + 1 :]),  # a letter dropped
        st.tuples(i, st.sampled_from(letters)).map(lambda a: name[: a[0]] + a[1] + name[a[0] :]),  # added
        st.tuples(i, st.sampled_from(letters)).map(
            lambda a: name[: a[0]] + a[1] + name[a[0] + 1 :]
        ),  # changed
        i.filter(lambda k: k < len(name) - 1).map(  # two neighbours swapped
            lambda k: name[:k] + name[k + 1] + name[k] + name[k + 2 :]
        ),
    )


TABLES = {
    "opportunities": OPPORTUNITY_COLUMNS,
    "preferences": PREFERENCE_COLUMNS,
    "participants": PARTICIPANT_COLUMNS,
}
CASES = st.sampled_from(
    [(t, c) for t, cols in TABLES.items() for c in cols if len(c) >= 5 and c not in ("rank", "score")]
).flatmap(lambda tc: st.tuples(st.just(tc[0]), st.just(tc[1]), _edits(tc[1])))


def _problem_with(table: str, meant: str, typo: str) -> None:
    data: dict[str, list[dict[str, Any]]] = {
        "opportunities": OPPS,
        "preferences": PREFS,
        "participants": PARTS,
    }
    rows = [{(typo if k == meant else k): v for k, v in r.items()} for r in data[table]]
    if meant not in data[table][0]:
        rows = _with(rows, **{typo: "1"})
    data[table] = rows
    Problem.from_records(
        opportunities=data["opportunities"],
        preferences=data["preferences"],
        participants=data["participants"],
    )


@settings(max_examples=300, deadline=None)
@given(CASES)
def test_property_a_one_letter_slip_of_a_known_column_is_an_error_naming_it(
    case: tuple[str, str, str],
) -> None:
    table, meant, typo = case
    known = TABLES[table]
    if typo in known or typo.strip() != typo or not typo:
        return  # the slip made another known name (or nothing): not a slip
    with pytest.raises(InputError) as err:
        _problem_with(table, meant, typo)
    assert err.value.field == typo
    named = err.value.message.split("did you mean '")[1].split("'")[0]
    ratio = difflib.SequenceMatcher(None, typo, meant).ratio()
    assert ratio >= NEAR_MISS
    assert named == meant or difflib.SequenceMatcher(None, typo, named).ratio() >= ratio


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="qwxzvjk", min_size=4, max_size=12))
def test_property_columns_far_from_every_known_name_are_ignored_not_refused(name: str) -> None:
    assume_far = all(difflib.SequenceMatcher(None, name, k).ratio() < NEAR_MISS for k in OPPORTUNITY_COLUMNS)
    if not assume_far:
        return
    problem = Problem.from_records(opportunities=_with(OPPS, **{name: "x"}), preferences=PREFS)
    assert problem.ignored_columns == {"problem opportunities": (name,)}
