"""Files as people have them: every CSV dialect and encoding, and xlsx, read back to the same table.

The oracle is the table the test wrote: any cell text, written with the standard library's csv
writer in a dialect (or with openpyxl as a workbook), must come back exactly, with a note saying
what was detected.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import Workbook

from flok.errors import InputError
from flok.io.csv_reader import read_csv
from flok.io.sources import parse_source, read_source

cells = st.text(
    alphabet=st.characters(codec="cp1252", exclude_characters="\r\x00", exclude_categories=("Cc", "Cs")),
    max_size=8,
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(1, 4))
    headers = draw(
        st.lists(
            st.from_regex(r"[A-Za-z][A-Za-z0-9 _]{0,6}[A-Za-z0-9]", fullmatch=True),
            min_size=width,
            max_size=width,
            unique_by=str.lower,
        )
    )
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=5))
    # A data row whose every cell is empty is a blank line in CSV: not a row anyone means.
    rows = [r if any(c.strip() for c in r) else ["x", *r[1:]] for r in rows]
    return headers, rows


def _csv_bytes(
    headers: list[str], rows: list[list[str]], delimiter: str, encoding: str, newline: str
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables(),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_any_dialect_and_encoding_reads_back_the_same_cells(
    table: tuple[list[str], list[list[str]]], delimiter: str, encoding: str, newline: str
) -> None:
    headers, rows = table
    data = _csv_bytes(headers, rows, delimiter, encoding, newline)
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    try:
        raw = parse_source(data, "f.csv")
    except InputError as exc:
        # The one honest refusal: Windows-1252 text that reads as noise is not guessed.
        assert not utf8 and "encoding is unclear" in exc.message
        return
    assert raw.headers == headers
    got = [[raw.columns[h][i].as_py() for h in headers] for i in range(raw.num_rows)]
    assert got == rows
    if not utf8:
        assert any("Windows-1252" in n for n in raw.notes)
    if delimiter != "," and len(headers) > 1:
        assert any("separated by" in n for n in raw.notes)


def test_a_european_spreadsheet_export_reads_with_its_separator_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "wahlen.csv"
    text = "participant_id;opportunity_id;rank\r\nRenée;Économie;1\r\nJürgen;Straße;2\r\n"
    path.write_bytes(text.encode("cp1252"))
    table = read_csv(path)
    assert table.text("participant_id").to_pylist() == ["Renée", "Jürgen"]
    assert table.notes == (
        "read as Windows-1252 text (detected: not UTF-8; if letters look wrong, give the encoding)",
        "columns separated by ';'",
    )
    chosen = read_csv(path, encoding="latin-1")
    assert chosen.text("opportunity_id").to_pylist() == ["Économie", "Straße"]


def test_a_quoted_line_break_in_a_free_text_answer_is_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text('id,answer\n1,"first line\nsecond line"\n2,plain\n', encoding="utf-8")
    raw = read_source(path)
    assert raw.columns["answer"].to_pylist() == ["first line\nsecond line", "plain"]


def test_repeated_headers_are_made_unique_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("id,Q5,Q5,Q5.1,Q5\n1,a,b,c,d\n", encoding="utf-8")
    raw = read_source(path)
    assert raw.headers == ["id", "Q5", "Q5.2", "Q5.1", "Q5.3"]  # the written Q5.1 keeps its name
    assert [raw.columns[h][0].as_py() for h in raw.headers] == ["1", "a", "b", "c", "d"]
    assert len([n for n in raw.notes if "repeated" in n]) == 2
    with pytest.raises(InputError, match="header repeats column 'q5'"):
        read_csv(path)  # Flok's own files name each column once


def _xlsx(path: Path, rows: list[list[object]], sheets: tuple[str, ...] = ("Sheet1",)) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = sheets[0]
    for name in sheets[1:]:
        book.create_sheet(name)
    for row in rows:
        book[sheets[-1]].append(row)
    book.save(path)


def test_xlsx_cells_read_as_a_person_sees_them(tmp_path: Path) -> None:
    from datetime import datetime

    path = tmp_path / "export.xlsx"
    _xlsx(
        path,
        [
            ["Student ID", "Choice 1", "Score", "When"],
            [1001, "T1", 2.5, datetime(2026, 1, 5, 9, 0)],
            [1002, "T2", 3.0, None],
        ],
    )
    raw = read_source(path)
    assert raw.headers == ["Student ID", "Choice 1", "Score", "When"]
    assert raw.columns["Student ID"].to_pylist() == ["1001", "1002"]  # not 1001.0
    assert raw.columns["Score"].to_pylist() == ["2.5", "3"]
    assert raw.columns["When"].to_pylist() == ["2026-01-05T09:00:00", ""]


def test_xlsx_takes_the_named_sheet_and_lists_the_others(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _xlsx(path, [["id", "capacity"], ["A", 3]], sheets=("Notes", "Data"))
    with pytest.raises(InputError, match="sheet 'Notes' is empty"):
        read_source(path)
    raw = read_source(path, sheet="Data")
    assert raw.columns["capacity"].to_pylist() == ["3"]
    with pytest.raises(InputError, match=r"no sheet 'Nope' \(sheets: Notes, Data\)"):
        read_source(path, sheet="Nope")


def test_a_file_that_is_not_a_workbook_says_so(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="cannot read this xlsx file"):
        read_source(path)


def test_the_real_umass_workbook_reads(tmp_path: Path) -> None:
    raw = read_source(Path(__file__).resolve().parents[1] / "data" / "umass" / "anonymized_courses.xlsx")
    assert raw.num_rows == 96 and raw.headers[:4] == ["Catalog", "Subject", "Categories", "Enrl Capacity"]
    assert raw.columns["Enrl Capacity"][0].as_py() == "90"


@pytest.mark.parametrize("data", [b"a,b", b"a,b\n", b"a;b\r\n\r\n", b"&\xef\xbf\xbd"])
def test_a_header_alone_is_a_file_without_data_rows_not_an_arrow_message(data: bytes) -> None:
    with pytest.raises(InputError, match="header but no data rows") as caught:
        parse_source(data, "prefs.csv")
    assert caught.value.row == 2
    raw = parse_source(data, "prefs.csv", allow_empty=True)
    assert raw.num_rows == 0 and all(len(c) == 0 for c in raw.columns.values())


def test_lines_ended_by_cr_alone_read_as_lines() -> None:
    raw = parse_source(b"participant_id,opportunity_id,rank\rp1,A,1\rp2,B,2\r", "old-mac.csv")
    assert raw.num_rows == 2
    assert raw.columns["opportunity_id"].to_pylist() == ["A", "B"]
    assert any("CR alone" in n for n in raw.notes)


@pytest.mark.parametrize("data", [b"\r0", b'a,"b\rc\nd,e'])
def test_a_broken_header_is_one_clear_error(data: bytes) -> None:
    try:
        parse_source(data, "x.csv")
    except InputError as exc:
        assert exc.source == "x.csv"
