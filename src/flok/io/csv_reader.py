"""CSV files into :class:`flok.table.Table`: size limit, encoding check, header checks, and
the exact row of a malformed line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from flok.errors import InputError
from flok.table import Table

MAX_FILE_BYTES = 2 * 1024**3


def _check_encoding(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = data.count(b",", line_start, exc.start)
        header = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().split(",")
        field = header[column].strip() if column < len(header) else None
        raise InputError(
            "file is not valid UTF-8 text; save it as UTF-8 (CSV UTF-8)", source=source, row=line, field=field
        ) from None


def read_csv(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES, allow_empty: bool = False) -> Table:
    """Read a CSV file as string columns; header names are trimmed and lower-cased.

    ``allow_empty`` accepts a header without data rows (an event log with no events yet).
    """
    p = Path(path)
    source = p.name
    if p.is_dir():
        raise InputError("is a directory; give a CSV file", source=str(path))
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(f"file is {size} bytes, over the limit of {max_bytes}", source=source)
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    return parse_csv_bytes(data, source, allow_empty=allow_empty)


def parse_csv_bytes(data: bytes, source: str, *, allow_empty: bool = False) -> Table:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = _check_encoding(data, source)
    if not text.strip():
        raise InputError(
            "file is empty; expected a header row and at least one data row", source=source, row=1
        )
    header_line = text.split("\n", 1)[0]
    names = [h.strip().lower() for h in next(iter(_split_header(header_line)))]
    if any(not n for n in names):
        i = names.index("")
        raise InputError(f"header has an empty column name at position {i + 1}", source=source, row=1)
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise InputError(
            f"header repeats column '{sorted(dupes)[0]}'", source=source, row=1, field=sorted(dupes)[0]
        )
    try:
        tbl = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        m = re.search(r"Expected (\d+) columns, got (\d+)", msg)
        row = _bad_row(text, len(names))
        if m:
            raise InputError(
                f"expected {m.group(1)} fields, got {m.group(2)}", source=source, row=row
            ) from None
        raise InputError(f"malformed CSV: {msg.splitlines()[0]}", source=source, row=row) from None
    if tbl.num_rows == 0 and not allow_empty:
        raise InputError("file has a header but no data rows", source=source, row=2)
    cols = {n: tbl.column(n).combine_chunks() for n in names}
    return Table(source=source, columns=cols, num_rows=tbl.num_rows, row_base=2)


def _split_header(line: str) -> Iterable[list[str]]:
    import csv

    return csv.reader([line.rstrip("\r")])


def _bad_row(text: str, width: int) -> int | None:
    import csv
    import io

    for i, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if row and len(row) != width:
            return i
    return None
