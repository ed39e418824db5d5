"""The import layer: mappings, wide shapes, presets and preview, on files as people have them.

The oracle for the shapes is the long table the test started from: written out wide (numbered
choice columns, or one column per opportunity) in any dialect or encoding, or as xlsx, it must
read back to exactly the same (participant, opportunity, rank/score) records.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import Workbook
from typer.testing import CliRunner

from flok.cli.main import app
from flok.errors import InputError
from flok.io.importer import import_table
from flok.io.mapping import ImportSpec, load_preset, parse_map, preset_names
from flok.io.preview import preview

runner = CliRunner()

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,5}[A-Za-z0-9]", fullmatch=True)


@st.composite
def ranked_lists(draw: st.DrawFn) -> dict[str, list[str]]:
    """Each participant's choices in order (distinct opportunities), 1-4 participants."""
    opps = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    people = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    return {
        p: draw(st.lists(st.sampled_from(opps), min_size=1, max_size=len(opps), unique=True)) for p in people
    }


def _write(path: Path, rows: list[list[str]], fmt: str) -> Path:
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        out = path.with_suffix(".xlsx")
        book.save(out)
        return out
    delimiter, encoding = {"csv": (",", "utf-8"), "excel-eu": (";", "cp1252"), "tsv": ("\t", "utf-8-sig")}[
        fmt
    ]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ranked_lists(),
    st.sampled_from(["csv", "excel-eu", "tsv", "xlsx"]),
    st.sampled_from(["Choice {k}", "{k}. Wahl", "Rank {k}", "Preference #{k}", "{ord} choice"]),
)
def test_a_wide_export_reads_back_to_the_long_preferences(
    tmp_path: Path, choices: dict[str, list[str]], fmt: str, pattern: str
) -> None:
    ordinals = ["1st", "2nd", "3rd", "4th", "5th"]
    width = max(len(c) for c in choices.values())
    if pattern == "{k}. Wahl":
        pattern = "{k}. preference"  # numbered with a dot, as German exports write "1."
    headers = ["Student ID", "Name", *(pattern.format(k=k, ord=ordinals[k - 1]) for k in range(1, width + 1))]
    rows = [headers] + [[p, f"name of {p}", *c, *[""] * (width - len(c))] for p, c in choices.items()]
    path = _write(tmp_path / "export.csv", rows, fmt)
    table, report = import_table(path, "preferences")
    got = set(
        zip(
            table.text("participant_id").to_pylist(),
            table.text("opportunity_id").to_pylist(),
            map(int, table.text("rank").to_pylist()),
            strict=True,
        )
    )
    assert got == {(p, o, k) for p, c in choices.items() for k, o in enumerate(c, start=1)}
    assert report.shape == "choices" and report.ignored == ("Name",)
    assert table.num_rows == sum(len(c) for c in choices.values())


def test_the_lms_export_allocates_in_one_command_with_its_preset(tmp_path: Path) -> None:
    (tmp_path / "opportunities.csv").write_text(
        "opportunity_id,capacity\nT1,1\nT2,1\nT3,1\n", encoding="utf-8"
    )
    _write(
        tmp_path / "export.csv",
        [
            ["Student ID", "Name", "Email", "Choice 1", "Choice 2", "Choice 3"],
            ["1001", "Ana", "ana@example.org", "T1", "T2", "T3"],
            ["1002", "Ben", "ben@example.org", "T1", "", "T2"],
            ["1003", "Cléo", "cleo@example.org", "T2", "T1", ""],
        ],
        "excel-eu",
    )
    out = tmp_path / "assignments.csv"
    result = runner.invoke(
        app,
        [
            "allocate",
            "--opportunities",
            str(tmp_path / "opportunities.csv"),
            "--preferences",
            str(tmp_path / "export.csv"),
            "--preset",
            "lms-wide",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    seats = dict(
        row for row in csv.reader(out.read_text(encoding="utf-8").splitlines()[1:]) for row in [row[:2]]
    )
    # Optimal by hand: 1002 and 1003 take their first choices T1 and T2, so 1001 takes T3.
    assert seats == {"1001": "T3", "1002": "T1", "1003": "T2"}
    assert "one row per participant (3 rows -> 7 preferences)" in result.output
    assert "Windows-1252" in result.output and "';'" in result.output


def test_a_mapping_applies_to_its_own_file_only(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text("Kurs,Plätze\nT1,2\n", encoding="utf-8")
    (tmp_path / "p.csv").write_text("Matrikel,Kurs,Rang\nm1,T1,1\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    base = ["allocate", "--opportunities", str(tmp_path / "o.csv"), "--preferences", str(tmp_path / "p.csv")]
    ok = runner.invoke(
        app,
        [
            *base,
            "--opportunities-map",
            "opportunity_id=Kurs",
            "--opportunities-map",
            "capacity=Plätze",
            "--map",
            "participant_id=Matrikel",
            "--map",
            "opportunity_id=Kurs",
            "--map",
            "rank=Rang",
            "--out",
            str(out),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("m1,T1")
    # Without the preferences' own mapping, the opportunities' one does not leak into it.
    leak = runner.invoke(
        app,
        [
            *base,
            "--opportunities-map",
            "opportunity_id=Kurs",
            "--opportunities-map",
            "capacity=Plätze",
            "--out",
            str(out),
        ],
    )
    assert leak.exit_code == 2 and "p.csv" in leak.output


@pytest.mark.parametrize(
    ("items", "says"),
    [
        (["participant_id"], "FIELD=HEADER"),
        (["participant_id=A", "participant_id=B"], "twice"),
        (["=A"], "FIELD=HEADER"),
    ],
)
def test_bad_map_items_are_one_clear_line(items: list[str], says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_map(items)


def test_a_mapping_that_names_no_column_suggests_the_close_one(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.csv", [["Student ID", "Choice 1"], ["1", "T1"]], "csv")
    with pytest.raises(
        InputError, match=r"did you mean 'Student ID'\? \(columns found: 'Student ID', 'Choice 1'\)"
    ):
        import_table(path, "preferences", ImportSpec(columns={"participant_id": "studentid"}))
    with pytest.raises(InputError, match="did you mean 'participant_id'"):
        import_table(path, "preferences", ImportSpec(columns={"participant_ids": "Student ID"}))


def test_errors_in_a_wide_file_name_the_users_row_and_header(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text("opportunity_id,capacity\nT1,1\nT2,1\n", encoding="utf-8")
    _write(
        tmp_path / "w.csv",
        [["Student ID", "Choice 1", "Choice 2"], ["1", "T1", "T2"], ["2", "T2", "T9"]],
        "csv",
    )
    result = runner.invoke(
        app,
        [
            "allocate",
            "--opportunities",
            str(tmp_path / "o.csv"),
            "--preferences",
            str(tmp_path / "w.csv"),
            "--out",
            "-",
        ],
    )
    assert result.exit_code == 2
    assert (
        "w.csv, row 3, column 'Choice 2' (field 'opportunity_id'): unknown opportunity 'T9'" in result.output
    )


def test_one_column_per_opportunity_reads_scores_with_patterns_and_repeated_headers(tmp_path: Path) -> None:
    """A survey shape: repeated header names (as in the UMass export) become Q7, Q7.1."""
    path = _write(
        tmp_path / "s.csv",
        [
            ["ResponseId", "Progress", "Q7", "Q7", "Q8"],
            ["r1", "100", "5", "", "2"],
            ["r2", "40", "", "7", "1"],
        ],
        "csv",
    )
    spec = ImportSpec(preset="survey-scores", opportunity_columns=("Q*",))
    table, report = import_table(path, "preferences", spec)
    got = set(
        zip(
            table.text("participant_id").to_pylist(),
            table.text("opportunity_id").to_pylist(),
            table.text("score").to_pylist(),
            strict=True,
        )
    )
    assert got == {("r1", "Q7", "5"), ("r1", "Q8", "2"), ("r2", "Q7.1", "7"), ("r2", "Q8", "1")}
    assert report.ignored == ("Progress",)
    assert any("repeated" in n for n in report.notes)


def test_value_mapping_turns_the_users_words_into_flok_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "p.csv",
        [["participant_id", "opportunity_id", "rank"], ["a", "T1", "First"], ["a", "T2", " second "]],
        "csv",
    )
    spec = ImportSpec(values={"rank": {"first": "1", "Second": "2"}})
    table, _ = import_table(path, "preferences", spec)
    assert table.text("rank").to_pylist() == ["1", "2"]


def test_shipped_presets_load_and_a_users_preset_file_works(tmp_path: Path) -> None:
    assert {"lms-wide", "survey-scores"} <= set(preset_names())
    for name in preset_names():
        assert load_preset(name).description
    mine = tmp_path / "mine.toml"
    mine.write_text('shape = "choices"\n[columns]\nparticipant_id = "Matrikelnummer"\n', encoding="utf-8")
    path = _write(tmp_path / "w.csv", [["Matrikelnummer", "1. Wahl"], ["m1", "T1"]], "csv")
    table, _ = import_table(path, "preferences", ImportSpec(preset=str(mine)))
    assert table.text("participant_id").to_pylist() == ["m1"]
    bad = tmp_path / "bad.toml"
    bad.write_text('shape = "sideways"\n', encoding="utf-8")
    with pytest.raises(InputError, match="shape must be one of"):
        load_preset(str(bad))
    with pytest.raises(InputError, match="unknown preset 'nope'"):
        load_preset("nope")


def test_preview_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.csv",
        [
            ["Student ID", "Name", "Choice 1", "Choice 2"],
            ["1", "A", "T1", "T1"],
            ["", "B", "T1", ""],
            ["3", "C", "T2", ""],
            ["3", "D", "T1", ""],
        ],
        "csv",
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["import", "preview", str(path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert "read as preferences" in result.output and "participant_id  <- 'Student ID'" in result.output
    assert "row 2, column 'Choice 2': '1' lists 'T1' twice" in result.output
    assert "row 3, column 'Student ID': empty" in result.output
    assert "row 5, column 'Choice 1': '3' uses rank 1 twice (first at row 4)" in result.output
    seen = preview(path, "preferences")
    assert len(seen.issues) == 3 and seen.counts["records"] == 5


def test_preview_guesses_opportunities_and_refuses_an_unknown_kind(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", [["opportunity_id", "capacity"], ["T1", "x"]], "csv")
    result = runner.invoke(app, ["import", "preview", str(path)])
    assert result.exit_code == 0 and "read as opportunities (guessed" in result.output
    assert "row 2, column 'capacity': must be a whole number, got 'x'" in result.output
    wrong = runner.invoke(app, ["import", "preview", str(path), "--kind", "rooms"])
    assert wrong.exit_code == 2 and len(wrong.output.strip().splitlines()) == 1


_CELL = st.text(alphabet="abcXYZ 09-", min_size=0, max_size=6)


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=8))
def test_compose_joins_cells_and_leaves_a_row_with_an_empty_part_empty(
    cells: list[tuple[str, str, str]],
) -> None:
    rows = [[f"o{i}", "1", a, b, c] for i, (a, b, c) in enumerate(cells)]
    data = _csv_bytes(["id", "capacity", "Subject", "Catalog", "Alt"], rows)
    spec = ImportSpec(
        columns={"opportunity_id": "id"}, compose={"title": "{Subject} {Catalog|Alt}-x"}, kind="opportunities"
    )
    table, report = import_table(data, "opportunities", spec, name="o.csv")
    expected = []
    for a, b, c in cells:  # the rule, written out: first non-empty alternative; empty part -> empty
        a, b, c = a.strip(), b.strip(), c.strip()
        second = b or c
        expected.append(f"{a} {second}-x" if a and second else "")
    assert table.text("title").to_pylist() == expected
    assert report.fields["title"] == "'{Subject} {Catalog|Alt}-x'"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.sampled_from(["", "1", "5", "7"]), min_size=3, max_size=3), min_size=1, max_size=6),
    st.lists(
        st.lists(st.sampled_from(["S1", "S2", "S3"]), min_size=1, max_size=2, unique=True),
        min_size=3,
        max_size=3,
    ),
)
def test_column_opportunities_give_each_rating_to_every_opportunity_it_stands_for(
    ratings: list[list[str]], targets: list[list[str]]
) -> None:
    header = ["who", "Q1", "Q2", "Q3", "Other"]
    rows = [[f"p{i}", *r, "x"] for i, r in enumerate(ratings)]
    spec = ImportSpec(
        columns={"participant_id": "who"},
        shape="columns",
        value="score",
        column_opportunities={f"Q{k + 1}": tuple(t) for k, t in enumerate(targets)},
    )
    table, report = import_table(_csv_bytes(header, rows), "preferences", spec, name="s.csv")
    got = sorted(
        zip(
            table.text("participant_id").to_pylist(),
            table.text("opportunity_id").to_pylist(),
            table.text("score").to_pylist(),
            strict=True,
        )
    )
    want = sorted(
        (f"p{i}", o, v) for i, r in enumerate(ratings) for k, v in enumerate(r) if v for o in targets[k]
    )
    assert got == want
    assert "Other" in report.ignored  # only the listed headers are opportunities


def test_a_compose_template_naming_a_missing_column_is_refused_with_the_columns_found() -> None:
    spec = ImportSpec(compose={"opportunity_id": "{Subject} {Nope}"})
    with pytest.raises(InputError) as err:
        import_table(b"Subject,capacity\nA,1\n", "opportunities", spec, name="o.csv")
    assert "names 'Nope'" in err.value.message and "'Subject'" in err.value.message


def test_shipped_presets_declare_their_kind() -> None:
    kinds = {name: load_preset(name).kind for name in preset_names()}
    assert kinds["umass-courses"] == "opportunities" and kinds["gsb-circles-survey"] == "circle-participants"
    assert all(kinds.values()), kinds
