"""Uploads read through the import layer: one reading of a user's file for the API and the dashboard.

The service (query parameters ``map``, ``preset``, ``sheet``, ``encoding``) and the dashboard
(the mapping form of its preview page) both build an :class:`ImportSpec` here and read the
file with :func:`flok.io.importer.import_table`, so a mapping or a preset means the same in both
and the same as on the command line. Only shipped presets are accepted: a preset given as a
path would let a request read files on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from flok.app.campaigns import TableKind, get_campaign
from flok.app.state import State
from flok.errors import InputError
from flok.io.importer import FIELDS, import_table
from flok.io.mapping import ImportSpec, parse_map, preset_names, resolve
from flok.io.preview import Issue, Preview, preview
from flok.io.sources import parse_source
from flok.table import Table


def spec_of(
    maps: Sequence[str] = (),
    preset: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> ImportSpec:
    """An import spec from a request's words; a preset must be one Flok ships (by name)."""
    if preset and preset not in preset_names():
        raise InputError(
            f"unknown preset '{preset}' (presets: {', '.join(preset_names())})",
            source="preset",
            field="preset",
        )
    try:
        columns = parse_map([m for m in maps if m.strip()], option="map")
    except InputError as exc:  # the request's own parameter, so a client can point at it
        raise InputError(exc.message, source=exc.source, row=exc.row, field="map") from None
    return ImportSpec(columns=columns, preset=preset or None, sheet=sheet or None, encoding=encoding or None)


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
    if kind == "preferences":
        other = "score" if mode == "rank" else "rank"
        if other in seen.columns or mode not in seen.columns:
            issue = Issue(
                1, "(header)", f"this campaign takes '{mode}' preferences; no '{mode}' column was found"
            )
            seen = replace(seen, issues=[issue, *seen.issues])
    return UploadPreview(seen, headers_of(data, name, spec))
