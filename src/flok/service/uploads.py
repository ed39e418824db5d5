"""Read an uploaded table (CSV body, multipart file or JSON list) into a ``flok.table.Table``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from flok.app.campaigns import refuse_too_many_rows
from flok.errors import InputError
from flok.io import json_text
from flok.io.csv_reader import parse_csv_bytes
from flok.service.deps import state_of
from flok.service.errors import ApiError
from flok.table import Table, table_from_records

UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "object", "additionalProperties": True},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


async def read_table(request: Request, source: str) -> Table:
    """CSV rows are numbered as lines (header = 1); JSON items from 1, as the engine's readers do.

    A CSV body becomes Arrow columns (memory proportional to the body, which ``BodyLimit``
    bounds); a JSON list is counted against ``FLOK_MAX_UPLOAD_ROWS`` before it becomes a table.
    """
    return await _read(request, source)


async def _read(request: Request, source: str) -> Table:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv", "text/plain"):
        return parse_csv_bytes(await request.body(), f"{source}.csv")
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "VALIDATION_ERROR", "send the CSV as a form field named 'file'", field="file")
        return parse_csv_bytes(await upload.read(), upload.filename or f"{source}.csv")
    if kind in ("application/json", ""):
        # Checked again here (not only by the JsonGuard middleware): a body without a content type.
        data = json_text.loads(await request.body() or b"null", source=source)
        if isinstance(data, dict) and list(data) == [source]:
            data = data[source]
        if not isinstance(data, list) or not data:
            raise InputError(f"expected a non-empty JSON list of {source} objects", source=source)
        refuse_too_many_rows(state_of(request), len(data), source)
        return table_from_records(data, source)
    raise ApiError(
        415, "UNSUPPORTED_MEDIA_TYPE", f"send text/csv, multipart/form-data or application/json, not {kind}"
    )
