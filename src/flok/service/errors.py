"""Every error leaves the service as JSON ``{code, message, field}`` (plus ``row`` for files)."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from flok.errors import (
    ConflictError,
    FlokError,
    InfeasibleError,
    InputError,
    NotFoundError,
    RefusedError,
    TooLargeError,
    UnauthorizedError,
    UnavailableError,
)
from flok.io.json_text import position

log = logging.getLogger("flok.service")


class ErrorOut(BaseModel):
    code: str
    message: str
    field: str | None = None
    row: int | None = None


# A database that is restarting or a connection being replaced is usually back within seconds.
RETRY_AFTER_SECONDS = "5"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {"4XX": {"model": ErrorOut, "description": "Error"}}


class ApiError(RefusedError):
    """A refusal only HTTP knows about (a missing body part, an unsupported media type): own status."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message, field=field, row=row, code=code)
        self.status = status


def _json(
    status: int, code: str, message: str, field: str | None = None, row: int | None = None
) -> JSONResponse:
    body = ErrorOut(code=code, message=message, field=field, row=row).model_dump()
    return JSONResponse(body, status_code=status)


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def input_error_response(exc: InputError) -> JSONResponse:
    # The user's own header (``Choice 2``, ``Student ID``) when it is not Flok's field name.
    column = f"column '{exc.header}': " if exc.header else ""
    message = f"{exc.source}: {column}{exc.message}" if exc.source else f"{column}{exc.message}"
    return _json(422, "INVALID_INPUT", message, exc.field, exc.row)


def status_of(exc: FlokError) -> int:
    """The HTTP status the API answers a Flok error with (the dashboard answers with the same ones)."""
    if isinstance(exc, ApiError | UnavailableError | TooLargeError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | InfeasibleError):
        return 409
    if isinstance(exc, UnauthorizedError):
        return 401
    if isinstance(exc, RefusedError):
        return 400
    return 422


def flok_error_response(exc: FlokError) -> JSONResponse:
    """Every ``FlokError`` as ``{code, message, field, row}`` (one rendering for the whole API)."""
    if isinstance(exc, InputError):
        return input_error_response(exc)
    if isinstance(exc, InfeasibleError):
        return _json(409, "INFEASIBLE", exc.one_line())
    if isinstance(exc, RefusedError):
        response = _json(status_of(exc), exc.code, exc.message, exc.field, exc.row)
        if isinstance(exc, UnavailableError):
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return _json(422, "INVALID_INPUT", str(exc))


def _invalid_json(doc: Any, error: dict[str, Any]) -> JSONResponse:
    """Malformed JSON, with its position in words (FastAPI gives a character offset as ``loc``)."""
    loc = error.get("loc", ())
    offset = loc[-1] if loc and isinstance(loc[-1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "not valid JSON"))
    where = f" ({position(doc, offset)})" if isinstance(doc, str | bytes) and offset is not None else ""
    return _json(422, "INVALID_JSON", f"not valid JSON{where}: {reason}")


def _sends_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives this path, by its precedence rule: a path with
    fewer templated parts wins (``/preferences/preview`` over ``/preferences/{participant_id}``).

    Reading the document itself keeps the header and the document in agreement by construction
    (schemathesis ST205); a path the document does not hold (the dashboard's) falls back to
    asking each route whether it fully matches with each method."""
    path = request.url.path
    found: list[tuple[int, set[str]]] = []
    for template, item in request.app.openapi().get("paths", {}).items():
        if _template_regex(template).fullmatch(path):
            found.append((template.count("{"), {m.upper() for m in item}))
    if found:
        fewest = min(n for n, _ in found)
        allowed = set().union(*(methods for n, methods in found if n == fewest))
    else:
        routes = request.app.router.routes
        allowed = {
            method
            for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
        }
    return [method for method in _METHODS if method in allowed]


@functools.lru_cache(maxsize=512)
def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


def _field_of(loc: Any) -> str | None:
    """The field as the client wrote it: ``availability.4``, not pydantic's own steps through a
    union (``availability.list[function-after[_order(), Window]].4``) or the request part."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(p for p in parts if "[" not in p) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(FlokError)
    async def _flok(_: Request, exc: FlokError) -> JSONResponse:
        return flok_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return _invalid_json(exc.body, first)
        if tuple(first.get("loc", ())) == ("body",) and not _sends_json(request):
            # FastAPI hands a non-JSON body over as bytes, which then fails as "not an object".
            return _json(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json")
        field = _field_of(first.get("loc", ()))
        if first.get("type") == "value_error":
            # A rule stated in the document's words (an end before its start), which a JSON
            # schema cannot express: the request matched the schema, so it is not a
            # VALIDATION_ERROR but the same INVALID_INPUT the engine answers for its own rules.
            message = str(first.get("ctx", {}).get("error") or first.get("msg", "invalid value"))
            return _json(422, "INVALID_INPUT", f"{field}: {message}" if field else message, field)
        message = str(first.get("msg", "invalid request"))
        return _json(422, "VALIDATION_ERROR", f"{field}: {message}" if field else message, field)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        response = _json(exc.status_code, code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses some text SQLite accepts (a NUL character); the request is bad, not us.
        return _json(
            422, "INVALID_INPUT", "a value cannot be stored (for example, it contains a NUL character)"
        )

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - defects
        log.exception("unhandled error", exc_info=exc)
        return _json(500, "INTERNAL", "internal error; the request was not applied")
