"""A column table of raw strings plus typed conversions that locate the first bad row.

Every reader in ``flok.io`` (CSV, JSON) produces a :class:`Table`; the model converts its
columns with the functions here, so a CSV file and a JSON list report bad values the same way.
The table lives in the core because it is data, not a file: the core never reads files.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.errors import InputError
from flok.windows import END_BEFORE_START, first_backwards

_TS = pa.timestamp("us", tz="UTC")
TIME_HINT = "an ISO 8601 time with a time zone, e.g. 2026-11-23T18:00+00:00"
_ZONE = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class Table:
    """String columns read from one source; ``row_base`` is the row number of the first record."""

    source: str
    columns: dict[str, pa.Array]
    num_rows: int
    row_base: int = 2
    nested: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    """JSON cells holding a list or an object: column -> (first such row index, "a list"/"an object").
    Their text form is kept for free-form columns, but a number, time or id there is refused."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Flok's column name -> the header as the user wrote it (named in errors when they differ)."""
    notes: tuple[str, ...] = ()
    """What reading the file detected or decided (a ';' separator, an encoding, a mapping)."""
    origin_rows: np.ndarray | None = None
    """The user's row number of each record when the table was reshaped (wide -> long)."""
    origin_headers: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Per column, the user's header each record's value came from (e.g. 'Choice 2')."""

    def check_single(self, name: str, what: str) -> None:
        """Refuse a list or object where one value is expected (``"capacity": [2]`` is not 2)."""
        if name in self.nested:
            index, kind = self.nested[name]
            raise self.error(index, name, f"must be {what}, got {kind}")

    def has(self, name: str) -> bool:
        return name in self.columns

    def row(self, index: int) -> int:
        if self.origin_rows is not None:
            return int(self.origin_rows[int(index)])
        return self.row_base + int(index)

    def header(self, index: int | None, name: str | None) -> str | None:
        """The user's own header behind Flok's column ``name`` (at record ``index`` if reshaped)."""
        if name is None:
            return None
        if index is not None and name in self.origin_headers:
            return str(self.origin_headers[name][int(index)])
        return self.headers.get(name)

    def error(self, index: int | None, field: str | None, message: str) -> InputError:
        return InputError(
            message,
            source=self.source,
            row=None if index is None else self.row(index),
            field=field,
            header=self.header(index, field),
        )

    def require(self, *names: str) -> None:
        for name in names:
            if name not in self.columns:
                have = ", ".join(f"'{self.headers.get(c, c)}'" for c in self.columns) or "none"
                raise InputError(
                    f"missing required column '{name}' (columns found: {have})",
                    source=self.source,
                    row=1 if self.row_base == 2 else None,
                    field=name,
                )

    def text(self, name: str) -> pa.Array:
        """A column as trimmed strings ('' where absent or empty)."""
        if name not in self.columns:
            return pa.array([""] * self.num_rows, type=pa.string())
        col = self.columns[name]
        return pc.fill_null(pc.utf8_trim_whitespace(col), "")

    def ids(self, name: str) -> pa.Array:
        """An identifier column: present, non-empty on every row."""
        self.require(name)
        self.check_single(name, "one id")
        col = self.text(name)
        empty = np.flatnonzero(np.asarray(pc.equal(col, "").to_numpy(zero_copy_only=False)))
        if empty.size:
            raise self.error(int(empty[0]), name, "empty value; every row needs an id")
        return col

    def times(self, name: str, *, required: bool = False, assume_utc: bool = False) -> np.ndarray:
        """ISO 8601 times as POSIX seconds (NaN where empty).

        A time zone is required unless ``assume_utc``, which reads a zone-less time as UTC
        (fine where only the order of times matters, such as clash detection).
        """
        if not self.has(name):
            if required:
                self.require(name)
            return np.full(self.num_rows, np.nan)
        self.check_single(name, "one time")
        col = self.text(name)
        parse = col
        if assume_utc:
            zoneless = pc.and_(pc.invert(pc.match_substring_regex(col, _ZONE)), pc.not_equal(col, ""))
            parse = pc.if_else(zoneless, pc.binary_join_element_wise(col, "+00:00", ""), col)
        values, bad = parse_timestamps(parse)
        hint = "an ISO 8601 time, e.g. 2026-11-23T18:00" if assume_utc else TIME_HINT
        if bad is not None:
            raise self.error(bad, name, f"must be {hint}, got '{col[bad].as_py()}'")
        if required and np.isnan(values).any():
            raise self.error(
                int(np.flatnonzero(np.isnan(values))[0]), name, f"missing value; expected {hint}"
            )
        return values

    def check_windows(self, start: np.ndarray, end: np.ndarray, *, field: str = "end") -> None:
        """Raise at the first row whose end is before its start (the one rule of ``flok.windows``)."""
        bad = first_backwards(start, end)
        if bad is not None:
            raise self.error(bad, field, END_BEFORE_START)

    def unique_ids(self, name: str) -> pa.Array:
        """An identifier column whose values must not repeat (names the first repeat's row)."""
        col = self.ids(name)
        enc = pc.dictionary_encode(col)
        if len(enc.dictionary) != len(col):
            keys = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            order = np.argsort(keys, kind="stable")
            same = np.flatnonzero(keys[order][1:] == keys[order][:-1])
            dup = int(order[same + 1].min())
            raise self.error(dup, name, f"duplicate id '{col[dup].as_py()}'")
        return col

    def integers(
        self, name: str, *, minimum: int | None = None, default: int | None = None, what: str = "an integer"
    ) -> np.ndarray:
        """Parse a column of integers (an integral float such as '3.0' is accepted)."""
        values = self._floats(name, default=None if default is None else float(default), what=what)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if minimum is not None:
            bad |= values < minimum
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raw = self.text(name)[i].as_py()
            limit = f" ≥ {minimum}" if minimum is not None else ""
            raise self.error(i, name, f"must be {what}{limit}, got '{raw}'")
        if np.abs(values).max(initial=0) > 2**53:
            i = int(np.argmax(np.abs(values)))
            raise self.error(i, name, "value is too large")
        return values.astype(np.int64)

    def floats(self, name: str, *, default: float | None = None, what: str = "a finite number") -> np.ndarray:
        """Parse finite numbers; empty cells take ``default`` (which may be NaN: "not given")."""
        values = self._floats(name, default=default, what=what)
        bad = ~np.isfinite(values)
        if default is not None and name in self.columns:
            bad &= np.asarray(pc.not_equal(self.text(name), "").to_numpy(zero_copy_only=False), dtype=bool)
        elif default is not None:
            bad[:] = False
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise self.error(i, name, f"must be {what}, got '{self.text(name)[i].as_py()}'")
        return values

    def _floats(self, name: str, *, default: float | None, what: str) -> np.ndarray:
        if name not in self.columns and default is not None:
            return np.full(self.num_rows, default, dtype=np.float64)
        self.require(name)
        self.check_single(name, what)
        col = self.text(name)
        empty = np.asarray(pc.equal(col, "").to_numpy(zero_copy_only=False), dtype=bool)
        if empty.any() and default is None:
            i = int(np.flatnonzero(empty)[0])
            raise self.error(i, name, f"missing value; expected {what}")
        filled = pc.if_else(pc.equal(col, ""), "0", col)
        try:
            out = pc.cast(filled, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out = self._floats_slow(filled, name, what)
        if empty.any() and default is not None:
            out[empty] = default
        return out

    def _floats_slow(self, col: pa.Array, name: str, what: str) -> np.ndarray:
        values = col.to_pylist()
        out = np.empty(len(values), dtype=np.float64)
        for i, raw in enumerate(values):
            try:
                out[i] = float(raw)
            except ValueError:
                raise self.error(i, name, f"must be {what}, got '{raw}'") from None
        return out


def parse_timestamps(values: pa.Array) -> tuple[np.ndarray, int | None]:
    """Epoch seconds of ISO 8601 strings that carry a zone ('' → NaN), and the first bad index.

    Vectorized with Arrow; on failure a halving search finds the first unparsable value in
    O(n) total work, so a million rows still report the exact row.
    """
    text = pc.utf8_trim_whitespace(pc.fill_null(pc.cast(values, pa.string()), ""))
    empty = np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
    filled = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text)

    def ok(chunk: pa.Array) -> bool:
        try:
            pc.cast(chunk, _TS)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return False
        return True

    try:
        parsed = pc.cast(filled, _TS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        lo, hi = 0, len(filled)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(filled.slice(lo, mid - lo)):
                lo = mid
            else:
                hi = mid
        return np.zeros(0), lo
    micros = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False)
    out = np.asarray(micros, dtype=np.float64) / 1e6
    out[empty] = np.nan
    return out, None


def table_from_records(records: Any, source: str) -> Table:
    """A table from a JSON list of objects; values are kept as their text form."""
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        raise InputError("expected a list of objects", source=source)
    names: dict[str, None] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise InputError("expected an object", source=source, row=i + 1)
        for key in rec:
            names.setdefault(str(key).strip().lower(), None)
    cols: dict[str, list[str]] = {n: [] for n in names}
    nested: dict[str, tuple[int, str]] = {}
    for i, rec in enumerate(records):
        lowered = {str(k).strip().lower(): v for k, v in rec.items()}
        for n in names:
            value = lowered.get(n)
            if isinstance(value, list | tuple | Mapping) and n not in nested:
                nested[n] = (i, "an object" if isinstance(value, Mapping) else "a list")
            cols[n].append(_as_text(value))
    return Table(
        source=source,
        columns={n: pa.array(v, type=pa.string()) for n, v in cols.items()},
        num_rows=len(records),
        row_base=1,
        nested=nested,
    )


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, list | tuple):
        return ";".join(_as_text(v) for v in value)
    return str(value)


def table_from_columns(columns: Mapping[str, Sequence[Any] | np.ndarray], source: str) -> Table:
    """A table from in-memory columns (used by the library's array entry points)."""
    cols = {k.lower(): pa.array([_as_text(v) for v in vals], type=pa.string()) for k, vals in columns.items()}
    n = len(next(iter(cols.values()))) if cols else 0
    return Table(source=source, columns=cols, num_rows=n, row_base=1)


NEAR_MISS = 0.8
"""difflib similarity from which an unknown column is taken for a misspelt known one
("penalti" -> "penalty" 0.86, "min_sise" -> "min_size" 0.88, "grup" -> "group" 0.89)."""


def near_miss(name: str, candidates: Collection[str]) -> str | None:
    """The known column ``name`` most likely misspells, or None."""
    spaced = name.replace(" ", "_").replace("-", "_")
    if spaced in candidates:
        return spaced
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=NEAR_MISS)
    return found[0] if found else None


def check_columns(table: Table, known: Collection[str], *, free_form: bool = False) -> tuple[str, ...]:
    """Refuse a column that misspells a known one the table lacks; return the other unknown ones.

    A misspelt optional column would silently drop its rule (``penalti`` loses every penalty),
    so a near miss is an error naming the intended column. Other unknown columns are common in
    real exports (a room, a teacher): they are returned for the caller to list as ignored.
    ``free_form`` tables (participants: every other column is an attribute) return nothing.
    """
    absent = [k for k in known if not table.has(k)]
    unknown: list[str] = []
    for name in table.columns:
        if name in known:
            continue
        meant = near_miss(name, absent)
        if meant is not None:
            raise InputError(
                f"unknown column '{name}'; did you mean '{meant}'? (known columns: {', '.join(known)})",
                source=table.source,
                row=1 if table.row_base == 2 else None,
                field=name,
            )
        unknown.append(name)
    return () if free_form else tuple(unknown)
