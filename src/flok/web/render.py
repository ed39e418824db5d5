"""Rendering helpers: one Jinja2 environment, the session cookie on every page, errors in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from flok.errors import InputError
from flok.service.errors import ApiError
from flok.store.errors import StoreError
from flok.web import session as sessions

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a template with the session (and its CSRF token) and refresh the session cookie."""
    session = sessions.ensure(request)
    ctx = {"session": session, "csrf": session.csrf, "csrf_field": sessions.CSRF_FIELD, **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    sessions.write(request, response, session)
    return response


def redirect(request: Request, url: str) -> Response:
    """303 after a form post; htmx requests get ``HX-Redirect`` so the whole page changes."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def problem(exc: Exception) -> dict[str, Any]:
    """An error as the page shows it: message, and the field and row when the input names them."""
    if isinstance(exc, InputError):
        return {"message": exc.message, "source": exc.source, "row": exc.row, "field": exc.field}
    if isinstance(exc, StoreError):
        return {"message": exc.message, "source": None, "row": None, "field": exc.field}
    if isinstance(exc, ApiError):
        return {"message": exc.message, "source": None, "row": exc.row, "field": exc.field}
    return {"message": str(exc), "source": None, "row": None, "field": None}


def status_of(exc: Exception) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, StoreError):
        return 404 if exc.code == "NOT_FOUND" else 409
    return 422
