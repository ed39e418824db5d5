"""Read an uploaded table (CSV or xlsx body, multipart file, or JSON list) into a ``flok.table.Table``.

Files go through the import layer (``flok.app.imports``): any CSV dialect or encoding, xlsx,
wide exports (``Choice 1..N``), and the query parameters ``map`` (repeatable ``FIELD=HEADER``),
``preset``, ``sheet`` and ``encoding``, which mean what ``--map``, ``--preset``, ``--sheet`` and
``--encoding`` mean on the command line; ``shape``, ``value`` and ``values`` (FIELD:WORD=VALUE)
set the shape and value mapping per request. A JSON list is Flok's own shape and is read as it
is, unless the request (query or the body's own ``map``/``preset``/``values``/``shape``) asks
for a mapping: then it goes through the same import layer as a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.datastructures import UploadFile

from flok.app.campaigns import TableKind
from flok.app.guards import refuse_too_many_rows
from flok.app.imports import is_plain, read_records, read_upload, spec_of, spec_of_body
from flok.errors import InputError
from flok.io import json_text
from flok.io.mapping import ImportSpec
from flok.service.deps import state_of
from flok.service.errors import ApiError
from flok.table import Table, table_from_records

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE_TYPES = ("text/csv", "application/csv", "text/plain", XLSX_TYPE, "application/octet-stream")

MAP_ITEM = r"^[^=]*[^=\s][^=]*=.*[^\s\"']"
"""``FIELD=HEADER``: a field name, ``=``, and a header (quotes around it are dropped)."""

UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "object", "additionalProperties": True},
                        },
                        {
                            "type": "object",
                            "description": "rows in your own shape with the import's own settings",
                            "properties": {
                                "rows": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {"type": "object", "additionalProperties": True},
                                },
                                "map": {
                                    "oneOf": [
                                        {"type": "object", "additionalProperties": {"type": "string"}},
                                        {"type": "array", "items": {"type": "string", "pattern": MAP_ITEM}},
                                    ]
                                },
                                "preset": {"type": "string"},
                                "values": {
                                    "type": "object",
                                    "additionalProperties": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                },
                                "shape": {"enum": ["auto", "long", "choices", "columns"]},
                                "value": {"enum": ["rank", "score"]},
                            },
                            "required": ["rows"],
                            "additionalProperties": False,
                        },
                    ]
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


def import_spec(
    map: Annotated[
        list[str] | None,
        Query(description="FIELD=HEADER, repeatable: which of your columns is which field"),
    ] = None,
    preset: Annotated[
        str | None, Query(max_length=100, description="a named import preset, e.g. lms-wide")
    ] = None,
    sheet: Annotated[str | None, Query(max_length=200, description="xlsx: the sheet to read")] = None,
    encoding: Annotated[
        str | None, Query(max_length=40, description="CSV encoding when not UTF-8 (detected if not given)")
    ] = None,
    shape: Annotated[
        str | None,
        Query(pattern="^(auto|long|choices|columns)$", description="preferences: the file's shape"),
    ] = None,
    value: Annotated[
        str | None, Query(pattern="^(rank|score)$", description="columns shape: what each cell holds")
    ] = None,
    values: Annotated[
        list[str] | None,
        Query(
            description="FIELD:WORD=VALUE, repeatable: how your words map to Flok's (host:Always Host=always)"
        ),
    ] = None,
) -> ImportSpec:
    """The import spec a request's query parameters describe (refused, 422, when malformed)."""
    return spec_of(map or [], preset, sheet, encoding, shape=shape, value=value, values=values or [])


SpecDep = Annotated[ImportSpec, Depends(import_spec)]


@dataclass(frozen=True)
class Upload:
    """A file's bytes and the name errors call it by (JSON uploads have no file)."""

    data: bytes
    name: str


async def read_file(request: Request, source: str) -> Upload | None:
    """The uploaded file (CSV or xlsx body, or multipart field ``file``); None for a JSON body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in _FILE_TYPES:
        suffix = ".xlsx" if kind == XLSX_TYPE else ".csv"
        return Upload(await request.body(), f"{source}{suffix}")
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(
                422, "VALIDATION_ERROR", "send the file as a form field named 'file'", field="file"
            )
        return Upload(await upload.read(), upload.filename or f"{source}.csv")
    if kind in ("application/json", ""):
        return None
    raise ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        f"send text/csv, an xlsx file, multipart/form-data or application/json, not {kind}",
    )


_BODY_KEYS = ("rows", "map", "preset", "values", "shape", "value")


async def json_records(
    request: Request, source: str, kind: TableKind, spec: ImportSpec
) -> tuple[list[Any], ImportSpec]:
    """A JSON upload's records and its import spec: a list of objects, or an object holding the
    list under ``rows`` (or the kind's name, or ``source``) and the import's own ``map``,
    ``preset``, ``values``, ``shape`` and ``value``, which win over the query parameters.
    Counted before it is read."""
    # Checked again here (not only by the JsonGuard middleware): a body without a content type.
    data = json_text.loads(await request.body() or b"null", source=source)
    if isinstance(data, dict):
        unknown = sorted(set(data) - {source, kind, *_BODY_KEYS})
        if unknown:
            raise InputError(
                f"unknown key (a JSON upload is a list, or an object with 'rows' (or '{kind}') and "
                f"any of {', '.join(_BODY_KEYS[1:])})",
                source=source,
                field=unknown[0],
            )
        body = data
        data = next((data[k] for k in ("rows", kind, source) if k in data), None)
        spec = spec_of_body(body, source, spec)
    if not isinstance(data, list) or not data:
        raise InputError(f"expected a non-empty JSON list of {source} objects", source=source)
    refuse_too_many_rows(state_of(request), len(data), source)
    return data, spec


async def read_json(request: Request, source: str, kind: TableKind, spec: ImportSpec) -> Table:
    """A JSON upload as a table: Flok's own records as they are, or through the import layer
    when the request maps columns or values, names a preset or a shape."""
    records, spec = await json_records(request, source, kind, spec)
    if is_plain(spec):
        return table_from_records(records, source)
    return read_records(records, source, kind, spec)


async def read_table(request: Request, source: str, kind: TableKind, spec: ImportSpec) -> Table:
    """CSV rows are numbered as lines (header = 1); JSON items from 1, as the engine's readers do.

    A file becomes Arrow columns (memory proportional to the body, which ``BodyLimit`` bounds);
    ``upload_table`` then counts its records against ``FLOK_MAX_UPLOAD_ROWS``.
    """
    upload = await read_file(request, source)
    if upload is None:
        return await read_json(request, source, kind, spec)
    with about_the_file():
        return read_upload(upload.data, upload.name, kind, spec)


@contextmanager
def about_the_file() -> Iterator[None]:
    """A problem with the file as a whole (not a workbook, a sheet it lacks) names the request's
    ``file`` as its field, so every refusal of an upload points at something the client sent."""
    try:
        yield
    except InputError as exc:
        if exc.row is not None or exc.field is not None:
            raise
        raise InputError(exc.message, source=exc.source, field="file") from None
