"""One import layer: a user's file (any dialect, encoding or xlsx) into one of Flok's tables.

The library, the CLI, the API and the dashboard all read user files through :func:`import_table`,
so a mapping, a preset or a wide export means the same everywhere, and every error names the
file, the row and the user's own header. :func:`import_table` returns the table and an
:class:`ImportReport` saying what was understood (fields, shape, ignored columns, notes), which
``flok import preview`` prints and the summary of ``flok allocate`` repeats.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.errors import InputError
from flok.io.mapping import ImportSpec, resolve
from flok.io.sources import RawTable, parse_source, read_source
from flok.model import OPPORTUNITY_COLUMNS, PARTICIPANT_COLUMNS, PREFERENCE_COLUMNS
from flok.table import Table, near_miss, table_from_records

Kind = Literal[
    "preferences", "opportunities", "participants", "circle-participants", "circles", "assignments"
]
FIELDS: dict[str, tuple[str, ...]] = {
    "preferences": PREFERENCE_COLUMNS,
    "opportunities": OPPORTUNITY_COLUMNS,
    "participants": PARTICIPANT_COLUMNS,
    "assignments": ("participant_id", "opportunity_id", "rank", "score"),  # a previous allocation
}
CIRCLE_KINDS = ("circle-participants", "circles")
"""Their fields come from ``flok.circles.generate``, loaded only for them (the circles package
brings the solvers, which ``flok allocate --help`` should not pay for)."""
FREE_FORM = ("participants", "circle-participants")


def fields_of(kind: Kind) -> tuple[str, ...]:
    """Flok's field names for a kind of table."""
    if kind in CIRCLE_KINDS:
        from flok.circles.generate import CIRCLE_FIELDS, PARTICIPANT_FIELDS

        return PARTICIPANT_FIELDS if kind == "circle-participants" else CIRCLE_FIELDS
    return FIELDS[kind]


"""Kinds whose other columns are attributes (for quotas, diversity): any field name may be mapped."""

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_WORDS = (  # English first; the words of German, French, Spanish and Dutch course exports too
    r"(?:choice|preference|pref|option|wish|priority|selection"
    r"|wahl|präferenz|prioritaet|priorität|choix|v(?:oe|œ)u|opci[oó]n|preferencia|keuze|voorkeur)"
)
_CHOICE = (
    re.compile(rf"^(?:{_WORDS}|rank)\s*(?:#|no\.?|nr\.?)?\s*(\d+)$", re.IGNORECASE),
    re.compile(rf"^(\d+)\s*(?:st|nd|rd|th|\.)?\s*{_WORDS}$", re.IGNORECASE),
    re.compile(rf"^({'|'.join(_ORDINALS)})\s+{_WORDS}$", re.IGNORECASE),
)
_PARTICIPANT_NAMES = (
    "participant_id",
    "participant id",
    "participant",
    "student id",
    "student_id",
    "student number",
    "matriculation number",
    "matrikelnummer",
    "matrikel",
    "student",
    "user id",
    "userid",
    "username",
    "id",
    "email",
    "email address",
    "e-mail",
)
"""Headers recognised as the participant's id in a wide export, best first (reported, overridable)."""


@dataclass(frozen=True)
class ImportReport:
    """What Flok understood of one file: shown by ``flok import preview`` and in summaries."""

    source: str
    shape: str
    fields: dict[str, str]
    """Flok field (or column) -> where it was read from, in words: a quoted header, or several."""
    ignored: tuple[str, ...]
    notes: tuple[str, ...]
    rows: int
    records: int
    preset: str | None = None
    recognised: tuple[str, ...] = field(default_factory=tuple)


def import_table(
    source: str | Path | bytes,
    kind: Kind,
    spec: ImportSpec | None = None,
    *,
    name: str | None = None,
    allow_empty: bool = False,
) -> tuple[Table, ImportReport]:
    """A user's file (a path, or an upload's bytes with ``name``) as Flok's ``kind`` table."""
    spec = resolve(spec)
    if isinstance(source, bytes):
        raw = parse_source(
            source, name or f"{kind}.csv", sheet=spec.sheet, encoding=spec.encoding, allow_empty=allow_empty
        )
    else:
        raw = read_source(source, sheet=spec.sheet, encoding=spec.encoding, allow_empty=allow_empty)
    return interpret(raw, kind, spec)


def import_records(
    records: Any, kind: Kind, spec: ImportSpec | None = None, *, source: str
) -> tuple[Table, ImportReport]:
    """A JSON list of objects read like a file: its keys are the user's headers, so a mapping, a
    value mapping, a shape or a preset means for a JSON upload what it means for a CSV file."""
    base = table_from_records(records, source)
    raw = RawTable(source, list(base.columns), dict(base.columns), base.num_rows, row_base=1)
    table, report = interpret(raw, kind, resolve(spec))
    if base.nested and table.origin_rows is None:
        # A list where one value belongs stays refused under the field's new name.
        renamed = {h.strip().lower(): f for f, h in table.headers.items()}
        table = replace(table, nested={renamed.get(k, k): v for k, v in base.nested.items()})
    return table, report


def interpret(raw: RawTable, kind: Kind, spec: ImportSpec) -> tuple[Table, ImportReport]:
    """Apply the column mapping, the shape and the value mapping to a raw table."""
    check_kind(spec, kind, raw.source)
    raw, spec = _composed(raw, spec)
    known = fields_of(kind)
    mapped = _mapped(raw, spec, kind)
    recognised: list[str] = []
    shape = spec.shape
    lowered = {
        h.strip().lower(): h for h in raw.headers if h not in mapped.values() and not _matches(h, spec.ignore)
    }
    if kind == "preferences" and shape == "auto":
        has_long = "opportunity_id" in mapped or "opportunity_id" in lowered
        shape = "long" if has_long or not _choice_headers(raw, mapped, spec) else "choices"
        if shape == "choices":
            recognised.append("one row per participant with numbered choices")
    if shape in ("choices", "columns") and kind != "preferences":
        raise InputError(f"the '{shape}' shape is for preferences files", source=raw.source, field="shape")
    if shape in ("choices", "columns"):
        if "participant_id" not in mapped:
            header = _participant_header(raw, spec)
            mapped["participant_id"] = header
            recognised.append(f"participant_id <- '{header}'")
        table, used, ignored = _wide(raw, spec, mapped, shape)
        fields = {**{f: f"'{h}'" for f, h in mapped.items()}, **used}
    else:
        table, ignored = _long(raw, mapped, spec, known)
        fields = {c: f"'{table.headers.get(c, c)}'" for c in table.columns}
    table = _apply_values(table, spec)
    notes = [*raw.notes, *(f"recognised {r}" for r in recognised)]
    described = list(raw.notes)
    if shape in ("choices", "columns"):
        values = "a rank from each header's number" if shape == "choices" else f"a {spec.value} in each cell"
        origin = fields["opportunity_id"] if shape == "choices" else fields[spec.value]
        line = (
            f"one row per participant ({raw.num_rows} rows -> {table.num_rows} preferences): "
            f"participant_id <- '{mapped['participant_id']}', opportunities from {origin}, {values}"
        )
        described.append(line + (f"; ignored: {', '.join(repr(h) for h in ignored)}" if ignored else ""))
    elif mapped:
        described.append("columns: " + ", ".join(f"{f} <- '{h}'" for f, h in mapped.items()))
    report = ImportReport(
        source=raw.source,
        shape=shape if shape != "auto" else "long",
        fields=fields,
        ignored=tuple(ignored),
        notes=tuple(notes),
        rows=raw.num_rows,
        records=table.num_rows,
        preset=spec.preset,
        recognised=tuple(recognised),
    )
    return replace(table, notes=tuple(described)), report


def check_kind(spec: ImportSpec, kind: str, source: str) -> None:
    """A preset made for one kind of file is refused for another, saying which it is for."""
    if spec.kind and spec.kind != kind:
        name = f"preset '{spec.preset}'" if spec.preset else "the import spec"
        raise InputError(
            f"{name} is for {spec.kind} files, not {kind} files; "
            f"use it for {spec.kind} files, or pick a preset for {kind} files",
            source=source,
            field="preset",
        )


_SLOT = re.compile(r"\{([^{}]+)\}")


def _composed(raw: RawTable, spec: ImportSpec) -> tuple[RawTable, ImportSpec]:
    """Fields made from several of the user's columns (``compose``), added as columns named by
    their template and mapped to their field, so the rest of the import treats them like any."""
    if not spec.compose:
        return raw, spec
    by_lower = {h.strip().lower(): h for h in raw.headers}
    columns = dict(raw.columns)
    headers = list(raw.headers)
    mapping = dict(spec.columns)
    for fld, template in spec.compose.items():
        slots = _SLOT.findall(template)
        if not slots:
            raise InputError(
                f"compose template '{template}' names no column (write headers in braces: {{Subject}})",
                source=raw.source,
                field=fld,
            )
        cells: list[list[str]] = []
        for slot in slots:
            options = []
            for name in slot.split("|"):
                found = by_lower.get(name.strip().lower())
                if found is None:
                    have = ", ".join(f"'{h}'" for h in raw.headers)
                    raise InputError(
                        f"compose {fld}='{template}' names '{name.strip()}', which is no column of "
                        f"this file (columns found: {have})",
                        source=raw.source,
                        row=1,
                        field=fld,
                    )
                options.append([(c or "").strip() for c in raw.columns[found].to_pylist()])
            cells.append([next((o[i] for o in options if o[i]), "") for i in range(raw.num_rows)])
        pieces = _SLOT.split(template)  # literal, slot, literal, slot, ..., literal
        values = []
        for i in range(raw.num_rows):
            parts = [c[i] for c in cells]
            if not all(parts):
                values.append("")
                continue
            text = "".join(p if k % 2 == 0 else parts[k // 2] for k, p in enumerate(pieces))
            values.append(text)
        columns[template] = pa.array(values, type=pa.string())
        if template not in headers:
            headers.append(template)
        mapping[fld] = template
    composed = replace(raw, headers=headers, columns=columns)
    return composed, replace(spec, columns=mapping, compose={})


def _mapped(raw: RawTable, spec: ImportSpec, kind: Kind) -> dict[str, str]:
    """The spec's ``field -> header`` pairs, each header found in the file (ignoring case)."""
    known = fields_of(kind)
    by_lower = {h.strip().lower(): h for h in raw.headers}
    out: dict[str, str] = {}
    for fld, header in spec.columns.items():
        if fld not in known and kind not in FREE_FORM:
            meant = near_miss(fld, known)
            hint = f"; did you mean '{meant}'?" if meant else f" (fields: {', '.join(known)})"
            raise InputError(
                f"unknown field '{fld}' in the column mapping{hint}", source=raw.source, field=fld
            )
        found = by_lower.get(header.strip().lower())
        if found is None:
            lowered = {h.strip().lower(): h for h in raw.headers}
            close = lowered.get(near_miss(header.strip().lower(), list(lowered)) or "")
            hint = f"; did you mean '{close}'?" if close else ""
            have = ", ".join(f"'{h}'" for h in raw.headers)
            raise InputError(
                f"the mapping {fld}='{header}' names no column of this file{hint} (columns found: {have})",
                source=raw.source,
                row=1,
                field=fld,
            )
        out[fld] = found
    return out


def _choice_headers(raw: RawTable, mapped: Mapping[str, str], spec: ImportSpec) -> list[tuple[str, int]]:
    """Headers such as ``Choice 2``, ``2nd preference`` or ``Rank 2``, with the rank each means."""
    out = []
    for h in raw.headers:
        if h in mapped.values() or _matches(h, spec.ignore):
            continue
        for pattern in _CHOICE:
            found = pattern.match(h.strip())
            if found:
                token = found.group(1).lower()
                out.append((h, _ORDINALS.index(token) + 1 if token in _ORDINALS else int(token)))
                break
    return out


def _participant_header(raw: RawTable, spec: ImportSpec) -> str:
    by_lower = {h.strip().lower(): h for h in raw.headers if not _matches(h, spec.ignore)}
    for name in _PARTICIPANT_NAMES:
        if name in by_lower:
            return by_lower[name]
    have = ", ".join(f"'{h}'" for h in raw.headers)
    raise InputError(
        f"no column says who each row is; map one with --map participant_id=HEADER (columns found: {have})",
        source=raw.source,
        row=1,
        field="participant_id",
    )


def _long(
    raw: RawTable, mapped: Mapping[str, str], spec: ImportSpec, known: tuple[str, ...]
) -> tuple[Table, list[str]]:
    """The file as it is, under Flok's names: mapped headers renamed, the others lower-cased.

    A repeated header that is one of Flok's fields is refused: which ``rank`` counts would be a
    guess (map one of them, or drop the other, to say).
    """
    for new, old in raw.repeated.items():
        name = old.strip().lower()
        if name in known and new not in mapped.values() and old not in mapped.values():
            raise InputError(f"header repeats column '{name}'", source=raw.source, row=1, field=name)
    renamed = {h: f for f, h in mapped.items()}
    columns: dict[str, pa.Array] = {}
    headers: dict[str, str] = {}
    ignored = []
    for h in raw.headers:
        if _matches(h, spec.ignore):
            ignored.append(h)
            continue
        name = renamed.get(h, h.strip().lower())
        if name in columns:
            raise InputError(
                f"two columns would both be read as '{name}' ('{headers[name]}' and '{h}')",
                source=raw.source,
                row=1,
                field=name,
            )
        columns[name], headers[name] = raw.columns[h], h
    table = Table(raw.source, columns, raw.num_rows, raw.row_base, headers=headers)
    return table, ignored


def _wide(
    raw: RawTable, spec: ImportSpec, mapped: Mapping[str, str], shape: str
) -> tuple[Table, dict[str, str], list[str]]:
    """One row per participant -> one row per preference, remembering each value's row and header."""
    pid_header = mapped["participant_id"]
    if shape == "choices":
        wide = _choice_headers(raw, mapped, spec)
        if not wide:
            raise InputError(
                "no choice columns found (expected headers such as 'Choice 1', '1st choice', 'Rank 1')",
                source=raw.source,
                row=1,
            )
        value_field = "rank"
        opp_cells = [(h, raw.columns[h], r) for h, r in wide]
    else:
        free = [h for h in raw.headers if h not in mapped.values() and not _matches(h, spec.ignore)]
        patterns = spec.opportunity_columns or tuple(spec.column_opportunities)
        chosen = tuple(h for h in free if _matches(h, patterns)) if patterns else tuple(free)
        for pattern in patterns:
            if not _matches_any(pattern, raw.headers):
                raise InputError(f"no column matches '{pattern}' in this file", source=raw.source, row=1)
        if not chosen:
            raise InputError("no opportunity columns left after the mapped ones", source=raw.source, row=1)
        value_field = spec.value
        opp_cells = [(h, raw.columns[h], 0) for h in chosen]
    used_headers = {h for h, _, _ in opp_cells} | set(mapped.values())
    ignored = [h for h in raw.headers if h not in used_headers]
    pid = pc.utf8_trim_whitespace(raw.columns[pid_header])
    parts: dict[str, list[pa.Array]] = {"participant_id": [], "opportunity_id": [], value_field: []}
    rows: list[np.ndarray] = []
    origin: list[np.ndarray] = []
    extra = {f: raw.columns[h] for f, h in mapped.items() if f not in ("participant_id", "opportunity_id")}
    extra_parts: dict[str, list[pa.Array]] = {f: [] for f in extra}
    for header, cells, rank in opp_cells:
        text = pc.utf8_trim_whitespace(cells)
        keep = pc.not_equal(text, "")
        idx = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        if not idx.size:
            continue
        take = pa.array(idx)
        # Choices: the cell is the opportunity. Columns: the header stands for one opportunity (its
        # own name by default) or several (``column_opportunities``), each getting the cell's value.
        targets = [None] if shape == "choices" else spec.column_opportunities.get(header, (header,))
        for opportunity in targets:
            parts["participant_id"].append(pid.take(take))
            if opportunity is None:
                parts["opportunity_id"].append(text.take(take))
                parts[value_field].append(pa.array([str(rank)] * idx.size, type=pa.string()))
            else:
                parts["opportunity_id"].append(pa.array([opportunity] * idx.size, type=pa.string()))
                parts[value_field].append(text.take(take))
            for f, col in extra.items():
                extra_parts[f].append(col.take(take))
            rows.append(raw.row_base + idx)
            origin.append(np.full(idx.size, header, dtype=object))
    order = np.argsort(np.concatenate(rows), kind="stable") if rows else np.zeros(0, dtype=np.int64)
    columns = {
        name: _concat(chunks).take(pa.array(order)) for name, chunks in {**parts, **extra_parts}.items()
    }
    origin_rows = np.concatenate(rows)[order] if rows else np.zeros(0, dtype=np.int64)
    where = np.concatenate(origin)[order] if origin else np.zeros(0, dtype=object)
    value_of = "opportunity_id" if shape == "choices" else value_field
    table = Table(
        raw.source,
        columns,
        int(origin_rows.size),
        raw.row_base,
        headers={"participant_id": pid_header, **{f: h for f, h in mapped.items()}},
        origin_rows=origin_rows,
        origin_headers={value_of: where, ("rank" if shape == "choices" else "opportunity_id"): where},
    )
    if shape == "choices":
        used = {
            "opportunity_id": _span([h for h, _, _ in opp_cells]),
            "rank": "the number in each choice header",
        }
    else:
        named = "the preset's table of columns" if spec.column_opportunities else "each column's header"
        used = {"opportunity_id": named, value_field: _span([h for h, _, _ in opp_cells])}
    return table, used, ignored


def _matches(header: str, patterns: tuple[str, ...]) -> bool:
    """A header named by one of ``patterns`` (exact names, or shell-style wildcards such as ``7*``)."""
    return any(header == p or fnmatch.fnmatchcase(header, p) for p in patterns)


def _matches_any(pattern: str, headers: list[str]) -> bool:
    return any(_matches(h, (pattern,)) for h in headers)


def _concat(chunks: list[pa.Array]) -> pa.Array:
    return pa.concat_arrays(chunks) if chunks else pa.array([], type=pa.string())


def _span(headers: list[str]) -> str:
    if len(headers) <= 3:
        return ", ".join(f"'{h}'" for h in headers)
    return f"'{headers[0]}' … '{headers[-1]}' ({len(headers)} columns)"


def _apply_values(table: Table, spec: ImportSpec) -> Table:
    """The user's words -> Flok's values, per field; a word the mapping lacks stays as written."""
    if not spec.values:
        return table
    columns = dict(table.columns)
    for fld, words in spec.values.items():
        if fld not in columns:
            raise InputError(
                f"a value mapping names field '{fld}', which this file does not have",
                source=table.source,
                field=fld,
            )
        columns[fld] = map_words(columns[fld], words)
    return replace(table, columns=columns)


def map_words(column: pa.Array, words: Mapping[str, str]) -> pa.Array:
    """Each cell whose trimmed, lower-cased text is a key of ``words`` becomes its value.

    The words are looked up once per distinct cell, not once per row: a survey column holds a
    handful of distinct answers over 100k rows (issue 19: no Python loop per row).
    """
    lookup = {k.strip().lower(): v for k, v in words.items()}
    column = pc.cast(column, pa.string())
    distinct = pc.unique(column)
    mapped = pa.array(
        [lookup.get(c.strip().lower(), c) if c is not None else c for c in distinct.to_pylist()],
        type=pa.string(),
    )
    return pc.take(mapped, pc.index_in(column, value_set=distinct, skip_nulls=False))
