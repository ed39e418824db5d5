"""Rendering helpers: one Jinja2 environment, the session cookie on every page, errors in words."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from flok.app.progress import elapsed_seconds, number, time_limit_of
from flok.app.versioning import label_text
from flok.errors import ConflictError, FlokError, InfeasibleError, InputError, NotFoundError, RefusedError
from flok.web import flash
from flok.web import session as sessions
from flok.web.views import seats_url

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _number(value: Any) -> str:
    """12,345 (thousands separated); "—" for nothing."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    return number(value)


def _when(value: datetime | None) -> Markup:
    """A stored (UTC) time in the server's local time zone, the zone named: a ``<time>`` element
    whose ``datetime`` holds the exact instant. Set ``TZ`` (e.g. ``TZ=Europe/Berlin``) for the
    organizers' zone."""
    if value is None:
        return Markup("—")
    local = value.astimezone()
    text = f"{local:%d %b %Y, %H:%M} {local.tzname() or local.strftime('%z')}"
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), text)


def _duration(seconds: float | None) -> str:
    """ "45 s", "2 min 5 s", "1 h 3 min"."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 // 60 else "")


templates.env.filters["num"] = _number
templates.env.filters["when"] = _when
templates.env.filters["duration"] = _duration
templates.env.globals["seats_url"] = seats_url
templates.env.globals["label_text"] = label_text
templates.env.globals["elapsed_seconds"] = elapsed_seconds
templates.env.globals["time_limit_of"] = time_limit_of


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a template with the session (and its CSRF token) and refresh the session cookie.

    A whole page (not a ``partials/`` fragment, which htmx may fetch meanwhile) shows the
    flash a redirect left (``notice``) and deletes it, so it is shown once."""
    session = sessions.ensure(request)
    shown = flash.take(request) if not name.startswith("partials/") else None
    ctx = {
        "session": session,
        "csrf": session.csrf,
        "csrf_field": sessions.CSRF_FIELD,
        "notice": shown.notice if shown else None,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    sessions.write(request, response, session)
    if shown is not None or not name.startswith("partials/"):
        flash.forget(request, response)
    return response


def redirect(request: Request, url: str, message: flash.Flash | None = None) -> Response:
    """303 after a form post; htmx requests get ``HX-Redirect`` so the whole page changes. A
    ``message`` (success notice, or errors and the typed form) is shown once by the next page."""
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=200, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if message is not None:
        flash.put(request, response, message)
    return response


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
