"""Rendering helpers: one Jinja2 environment, the session cookie on every page, errors in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from flok.errors import ConflictError, FlokError, InfeasibleError, InputError, NotFoundError, RefusedError
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
    """An error as the page's message box shows it: message, and the field and row when named."""
    if isinstance(exc, InputError):
        return {"message": exc.message, "source": exc.source, "row": exc.row, "field": exc.field}
    if isinstance(exc, RefusedError):
        return {"message": exc.message, "source": None, "row": exc.row, "field": exc.field}
    if isinstance(exc, InfeasibleError):
        return {"message": exc.one_line(), "source": None, "row": None, "field": None}
    return {"message": str(exc), "source": None, "row": None, "field": None}


def status_of(exc: FlokError) -> int:
    """The status a page answers a failed action with (as the API would: 404, 409, 422 …)."""
    status = getattr(exc, "status", None)  # a refusal that carries its own HTTP status
    if isinstance(status, int):
        return status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | InfeasibleError):
        return 409
    if isinstance(exc, sessions.CsrfError):
        return 403
    if isinstance(exc, RefusedError):
        return 409
    return 422
