"""The files organizers actually have, read as they are: any common CSV dialect or encoding, or xlsx.

A European spreadsheet saves ``;``-separated CSV in Windows-1252; a learning platform exports
UTF-8 with a byte-order mark and CRLF; a survey tool exports ``.xlsx`` with repeated header
names. :func:`read_source` turns each into a :class:`RawTable`: the user's own headers (repeats
made unique as ``Q5``, ``Q5.1`` and reported), string columns, and notes saying what was
detected, so nothing is guessed silently. Dialects are sniffed by the standard library's
``csv.Sniffer`` and parsed by pyarrow (fast on millions of rows); encodings other than UTF-8 are
detected by charset-normalizer; xlsx is read by python-calamine.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from flok.errors import InputError

MAX_FILE_BYTES = 2 * 1024**3
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
XLSX_MAGIC = b"PK\x03\x04"
_NAMES = {"utf_8": "UTF-8", "cp1252": "Windows-1252", "latin_1": "Latin-1", "iso8859_15": "Latin-9"}


@dataclass(frozen=True)
class RawTable:
    """A user's table before Flok interprets it: their headers, in order, and string columns."""

    source: str
    headers: list[str]
    columns: dict[str, pa.Array]
    num_rows: int
    notes: list[str] = field(default_factory=list)
    row_base: int = 2
    repeated: dict[str, str] = field(default_factory=dict)
    """Headers renamed because their name repeats: new name (``Q5.1``) -> the name as written."""


def read_source(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    allow_empty: bool = False,
) -> RawTable:
    """A CSV or xlsx file as a :class:`RawTable`; errors name the file (and row where there is one)."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory; give a CSV or xlsx file", source=str(path))
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(f"file is {size} bytes, over the limit of {max_bytes}", source=p.name)
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    return parse_source(data, p.name, sheet=sheet, encoding=encoding, allow_empty=allow_empty)


def parse_source(
    data: bytes,
    source: str,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    allow_empty: bool = False,
) -> RawTable:
    """Bytes of a CSV or xlsx file (xlsx recognised by its content, not only its name)."""
    if data.startswith(XLSX_MAGIC) or source.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, source, sheet, allow_empty)
    if sheet is not None:
        raise InputError(
            f"--sheet '{sheet}' applies to xlsx files; this file is CSV text", source=source, field="sheet"
        )
    return _read_csv(data, source, encoding, allow_empty)


# --- CSV ------------------------------------------------------------------------------------
def _read_csv(data: bytes, source: str, encoding: str | None, allow_empty: bool) -> RawTable:
    notes: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    text, used = _decode(data, source, encoding)
    if used != "utf_8":
        how = "as chosen" if encoding else "detected: not UTF-8; if letters look wrong, give the encoding"
        notes.append(f"read as {_NAMES.get(used, used)} text ({how})")
    if "\r" in text and "\n" not in text:  # lines ended by CR alone (old Mac exports)
        text, used = text.replace("\r", "\n"), "rewritten"
        notes.append("lines end with CR alone; read as ordinary lines")
    if not text.strip():
        raise InputError(
            "file is empty; expected a header row and at least one data row", source=source, row=1
        )
    dialect = _sniff(text, source)
    if dialect.delimiter not in (",", _OneColumn.delimiter):
        shown = {"\t": "tab", ";": "';'", "|": "'|'"}[dialect.delimiter]
        notes.append(f"columns separated by {shown}")
    try:
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), dialect), [])
    except csv.Error as exc:
        raise InputError(f"cannot read the header row ({exc})", source=source, row=1) from None
    if not any(h.strip() for h in header):
        raise InputError("the first line is empty; expected the header row there", source=source, row=1)
    headers, renamed = unique_headers([h.strip() for h in header])
    notes += _repeat_notes(headers, renamed)
    if any(not h for h in headers):
        i = headers.index("")
        raise InputError(f"header has an empty column name at position {i + 1}", source=source, row=1)
    if "\n" not in text.strip("\r\n\ufeff"):  # the header alone, which Arrow cannot skip
        if not allow_empty:
            raise InputError("file has a header but no data rows", source=source, row=2)
        empty = {h: pa.array([], pa.string()) for h in headers}
        return RawTable(source, headers, empty, 0, notes, repeated=renamed)
    body = data if used == "utf_8" else text.encode("utf-8")
    try:
        tbl = _arrow_csv(body, headers, dialect, newlines_in_values=False)
    except pa.ArrowInvalid:
        try:  # a quoted cell holding a line break (free-text survey answers): the slower parse
            tbl = _arrow_csv(body, headers, dialect, newlines_in_values=True)
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            row = _bad_row(text, len(headers), dialect)
            m = re.search(r"Expected (\d+) columns, got (\d+)", msg)
            if m:
                raise InputError(
                    f"expected {m.group(1)} fields, got {m.group(2)}", source=source, row=row
                ) from None
            raise InputError(f"malformed CSV: {msg.splitlines()[0]}", source=source, row=row) from None
    if tbl.num_rows == 0 and not allow_empty:
        raise InputError("file has a header but no data rows", source=source, row=2)
    cols = {h: tbl.column(h).combine_chunks() for h in headers}
    return RawTable(source, headers, cols, tbl.num_rows, notes, repeated=renamed)


def _arrow_csv(
    body: bytes, headers: list[str], dialect: type[csv.Dialect] | csv.Dialect, *, newlines_in_values: bool
) -> pa.Table:
    return pacsv.read_csv(
        pa.py_buffer(body),
        read_options=pacsv.ReadOptions(column_names=headers, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=dialect.delimiter,
            quote_char=dialect.quotechar or False,
            newlines_in_values=newlines_in_values,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(headers, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _decode(data: bytes, source: str, encoding: str | None) -> tuple[str, str]:
    """Text and the codec used: the one chosen, else UTF-8, else what charset-normalizer is sure of."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name.replace("-", "_")
        except LookupError:
            raise InputError(
                f"unknown encoding '{encoding}' (try utf-8, cp1252 or latin-1)",
                source=source,
                field="encoding",
            ) from None
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            raise _not_text(data, exc, source, f"is not valid {encoding} text") from None
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError as exc:
        first_bad = exc
    from charset_normalizer import from_bytes  # imported only for the rare non-UTF-8 file

    # Spreadsheets in Western Europe and the Americas save CSV as Windows-1252; a sample cannot
    # tell it from its Central European sibling, so the note says which was used and how to
    # choose. Bytes Windows-1252 leaves undefined, or text that reads as noise, are refused.
    west = from_bytes(data, cp_isolation=["cp1252"]).best()
    if west is None or west.chaos > 0.2:
        raise _not_text(
            data,
            first_bad,
            source,
            "is not UTF-8 and its encoding is unclear; save it as UTF-8 or give --encoding",
        ) from None
    return data.decode("cp1252"), "cp1252"


def _not_text(data: bytes, exc: UnicodeDecodeError, source: str, message: str) -> InputError:
    line = data.count(b"\n", 0, exc.start) + 1
    return InputError(f"file {message}", source=source, row=line)


class _OneColumn(csv.excel):
    """A header with no separator: one column, whatever its cells contain."""

    delimiter = "\x1f"  # the ASCII unit separator: never in a spreadsheet cell


def _sniff(text: str, source: str) -> type[csv.Dialect] | csv.Dialect:
    """The separator: the one the header uses; ``csv.Sniffer`` decides when it holds several.

    Quotes are always ``"`` with doubling, as every spreadsheet writes them (the sniffer would
    otherwise take a cell such as ``''`` for a quote character).
    """
    header = text.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", header)
    present = [d for d in DELIMITERS if d in unquoted]
    if not present:
        return _OneColumn
    delimiter = present[0]
    if len(present) > 1:
        sample = text[:SAMPLE_BYTES]
        lines = sample.splitlines()
        if len(lines) > 1 and len(sample) == SAMPLE_BYTES:
            sample = "\n".join(lines[:-1])  # the last line may be cut
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters="".join(present)).delimiter
        except csv.Error:
            delimiter = max(present, key=unquoted.count)  # the sniffer found no consistent one
    return type("Sniffed", (csv.excel,), {"delimiter": delimiter})


def _bad_row(text: str, width: int, dialect: type[csv.Dialect] | csv.Dialect) -> int | None:
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        for i, row in enumerate(rows, start=1):
            if row and len(row) != width:
                return i
    except csv.Error:
        return rows.line_num or None
    return None


def unique_headers(headers: list[str]) -> tuple[list[str], dict[str, str]]:
    """Repeated header names made unique (``Q5``, ``Q5.1``, ``Q5.2``): names, and new -> written."""
    seen: Counter[str] = Counter()
    taken = set(headers)
    out: list[str] = []
    renamed: dict[str, str] = {}
    for name in headers:
        if seen[name]:
            k = seen[name]
            while f"{name}.{k}" in taken:
                k += 1
            new = f"{name}.{k}"
            taken.add(new)
            renamed[new] = name
            out.append(new)
        else:
            out.append(name)
        seen[name] += 1
    return out, renamed


def _repeat_notes(headers: list[str], renamed: dict[str, str]) -> list[str]:
    return [
        f"header '{old}' is repeated: the one in column {headers.index(new) + 1} is read as '{new}'"
        for new, old in renamed.items()
    ]


# --- xlsx -----------------------------------------------------------------------------------
def _read_xlsx(data: bytes, source: str, sheet: str | None, allow_empty: bool) -> RawTable:
    from python_calamine import CalamineWorkbook  # imported where used: start-up stays fast

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every broken archive
        raise InputError(
            f"cannot read this xlsx file ({type(exc).__name__}); is it an Excel workbook?", source=source
        ) from None
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(f"no sheet '{sheet}' (sheets: {', '.join(names)})", source=source, field="sheet")
    chosen = sheet or names[0]
    rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=True)
    rows = [r for r in rows if any(_cell(v) for v in r)]
    notes = [
        f"sheet '{chosen}'"
        + (f" (of {len(names)}: {', '.join(names)})" if len(names) > 1 and sheet is None else "")
    ]
    if not rows:
        raise InputError(
            f"sheet '{chosen}' is empty; expected a header row and data rows", source=source, row=1
        )
    width = max(len(r) for r in rows)
    header_cells = [_cell(v).strip() for v in rows[0]] + [""] * (width - len(rows[0]))
    while header_cells and not header_cells[-1]:
        header_cells.pop()
    headers, renamed = unique_headers(header_cells)
    notes += _repeat_notes(headers, renamed)
    if any(not h for h in headers):
        i = headers.index("")
        raise InputError(f"header has an empty column name at position {i + 1}", source=source, row=1)
    body = rows[1:]
    if not body and not allow_empty:
        raise InputError("sheet has a header but no data rows", source=source, row=2)
    cols = {
        h: pa.array([_cell(r[j]) if j < len(r) else "" for r in body], type=pa.string())
        for j, h in enumerate(headers)
    }
    return RawTable(source, headers, cols, len(body), notes, repeated=renamed)


def _cell(value: object) -> str:
    """A spreadsheet cell as the text a person sees: 90.0 as 90, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
