"""Tables files into :class:`flok.table.Table` under Flok's own column names.

Every file goes through :mod:`flok.io.sources` (any CSV dialect or encoding, or xlsx), then its
headers are trimmed and lower-cased, as the engine's column names are. What was detected (a
``;`` separator, Windows-1252, a repeated header) is kept on the table as notes.
"""

from __future__ import annotations

from pathlib import Path

from flok.errors import InputError
from flok.io.sources import MAX_FILE_BYTES, RawTable, parse_source, read_source
from flok.table import Table

__all__ = ["MAX_FILE_BYTES", "parse_csv_bytes", "read_csv", "table_of"]


def read_csv(
    path: str | Path,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    allow_empty: bool = False,
    sheet: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read a CSV (any common dialect) or xlsx file as string columns named in lower case.

    ``allow_empty`` accepts a header without data rows (an event log with no events yet).
    """
    raw = read_source(path, sheet=sheet, encoding=encoding, max_bytes=max_bytes, allow_empty=allow_empty)
    return table_of(raw)


def parse_csv_bytes(data: bytes, source: str, *, allow_empty: bool = False) -> Table:
    """An uploaded file's bytes (CSV in any common dialect, or xlsx) as a table."""
    return table_of(parse_source(data, source, allow_empty=allow_empty))


def table_of(raw: RawTable) -> Table:
    """A raw table under lower-cased names; a repeated header (even in another case) is refused.

    Flok's own files name each column once; which of two ``rank`` columns counts would be a
    guess. (The import layer, which maps a user's headers, reads repeats as ``Q5``, ``Q5.1``.)
    """
    if raw.repeated:
        original = next(iter(raw.repeated.values()))
        raise InputError(
            f"header repeats column '{original.strip().lower()}'",
            source=raw.source,
            row=1,
            field=original.strip().lower(),
        )
    names = [h.strip().lower() for h in raw.headers]
    seen: dict[str, str] = {}
    for header, name in zip(raw.headers, names, strict=True):
        if name in seen:
            raise InputError(
                f"header repeats column '{name}' ('{seen[name]}' and '{header}')",
                source=raw.source,
                row=1,
                field=name,
            )
        seen[name] = header
    return Table(
        source=raw.source,
        columns={name: raw.columns[h] for h, name in zip(raw.headers, names, strict=True)},
        num_rows=raw.num_rows,
        row_base=raw.row_base,
        headers={name: h for h, name in zip(raw.headers, names, strict=True)},
        notes=tuple(raw.notes),
    )
