"""Uploads read through the import layer: one reading of a user's file for the API and the dashboard.

The service (query parameters ``map``, ``preset``, ``sheet``, ``encoding``) and the dashboard
(the mapping form of its preview page) both build an :class:`ImportSpec` here and read the
file with :func:`flok.io.importer.import_table`, so a mapping or a preset means the same in both
and the same as on the command line. Only shipped presets are accepted: a preset given as a
path would let a request read files on the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flok.app.campaigns import TableKind, get_campaign
from flok.app.state import State
from flok.errors import InputError
from flok.io.importer import FIELDS, import_records, import_table
from flok.io.mapping import (
    ImportSpec,
    parse_map,
    parse_values,
    preset_names,
    resolve,
    spec_from_mapping,
    spec_from_request,
)
from flok.io.preview import Issue, Preview, preview, summarize
from flok.io.sources import parse_source
from flok.table import Table, table_from_records


def check_preset(preset: str | None) -> None:
    """A request may name only a preset Flok ships: a path would read files on the server."""
    if preset and preset not in preset_names():
        raise InputError(
            f"unknown preset '{preset}' (presets: {', '.join(preset_names())})",
            source="preset",
            field="preset",
        )


def spec_of(
    maps: Sequence[str] = (),
    preset: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    *,
    shape: str | None = None,
    value: str | None = None,
    values: Sequence[str] = (),
) -> ImportSpec:
    """An import spec from a request's words (``map`` FIELD=HEADER, ``values`` FIELD:WORD=VALUE,
    ``shape``, ``value``); a preset must be one Flok ships (by name)."""
    check_preset(preset)
    try:
        columns = parse_map([m for m in maps if m.strip()], option="map")
    except InputError as exc:  # the request's own parameter, so a client can point at it
        raise InputError(exc.message, source=exc.source, row=exc.row, field="map") from None
    try:
        words = parse_values([v for v in values if v.strip()], option="values")
    except InputError as exc:
        raise InputError(exc.message, source=exc.source, row=exc.row, field="values") from None
    spec = spec_from_mapping(
        {"columns": columns, "values": words, "shape": shape or "auto", "value": value or "rank"}, "request"
    )
    return replace(spec, preset=preset or None, sheet=sheet or None, encoding=encoding or None)


def spec_of_body(body: Mapping[str, Any], source: str, base: ImportSpec) -> ImportSpec:
    """The import spec of a JSON upload's own ``map``/``preset``/``values``/``shape``/``value``
    keys, on top of the request's query parameters (``base``)."""
    spec = spec_from_request(body, source)
    check_preset(spec.preset)
    return spec.merged_over(base)


def is_plain(spec: ImportSpec) -> bool:
    """A spec that asks for nothing: a JSON upload in Flok's own shape is read as it is."""
    return spec == ImportSpec()


def read_records(records: Any, source: str, kind: TableKind, spec: ImportSpec) -> Table:
    """A JSON upload's records through the import layer (mapping, values, shape, preset)."""
    table, _report = import_records(records, kind, spec, source=source)
    return table


def preview_records(
    state: State, org: int, campaign_id: int, kind: TableKind, records: Any, source: str, spec: ImportSpec
) -> UploadPreview:
    """:func:`preview_upload` for a JSON upload's records."""
    mode = get_campaign(state, org, campaign_id).campaign.mode
    table, report = import_records(records, kind, spec, source=source)
    headers = list(table_from_records(records, source).columns)
    return UploadPreview(_mode_checked(summarize(table, report, kind), kind, mode), headers)


def read_upload(data: bytes, name: str, kind: TableKind, spec: ImportSpec) -> Table:
    """An uploaded file (CSV in any dialect or encoding, or xlsx) as Flok's ``kind`` table."""
    table, _report = import_table(data, kind, spec, name=name)
    return table


def headers_of(data: bytes, name: str, spec: ImportSpec) -> list[str]:
    """The file's own headers, as written (repeats made unique), for a mapping form."""
    spec = resolve(spec)
    return parse_source(data, name, sheet=spec.sheet, encoding=spec.encoding).headers


def fields_of(kind: TableKind) -> tuple[str, ...]:
    """The Flok fields a file of ``kind`` can map a column to."""
    return FIELDS[kind]


@dataclass(frozen=True)
class UploadPreview:
    """A preview of an upload to one campaign, with the campaign's own rules applied."""

    preview: Preview
    headers: list[str]


def preview_upload(
    state: State, org: int, campaign_id: int, kind: TableKind, data: bytes, name: str, spec: ImportSpec
) -> UploadPreview:
    """What Flok understands of an uploaded file and every problem in it; stores nothing.

    Beyond the file's own problems, a preferences file is checked against the campaign's mode:
    a ``rank`` campaign needs a rank column (and a ``score`` campaign a score column)."""
    mode = get_campaign(state, org, campaign_id).campaign.mode
    seen = preview(data, kind, spec, name=name)
    return UploadPreview(_mode_checked(seen, kind, mode), headers_of(data, name, spec))


def _mode_checked(seen: Preview, kind: TableKind, mode: str) -> Preview:
    """A preferences preview with the campaign's mode checked: a ``rank`` campaign needs ranks."""
    if kind == "preferences":
        other = "score" if mode == "rank" else "rank"
        if other in seen.columns or mode not in seen.columns:
            issue = Issue(
                1, "(header)", f"this campaign takes '{mode}' preferences; no '{mode}' column was found"
            )
            seen = replace(seen, issues=[issue, *seen.issues])
    return seen
