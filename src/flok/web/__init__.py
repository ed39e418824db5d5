"""The organizer dashboard: server-rendered pages (Jinja2, htmx, inline SVG) over ``flok.app``.

``install(app)`` adds the pages under ``/ui`` and the static files under ``/ui/static``;
``error_page(request, exc)`` is how a page answers a Flok error, ``http_error_page`` an unknown
address or method and ``invalid_request_page`` a malformed one (``/ui/campaigns/abc``): the
composition root, ``flok.server``, sends errors on ``/ui`` paths here and all others to the
API's JSON, so a person never meets raw JSON in the dashboard.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from flok.errors import FlokError
from flok.web.render import page, problem, status_of
from flok.web.routes import auth, campaigns, changes, circles, community, imports, waitlist
from flok.web.session import CsrfError, SignInRequired

__all__ = ["PREFIX", "error_page", "http_error_page", "install", "invalid_request_page", "is_page"]
PREFIX = "/ui"


def install(app: FastAPI) -> None:
    for module in (auth, campaigns, changes, waitlist, imports, community, circles):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/ui/static", StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static")


def error_page(request: Request, exc: FlokError) -> Response:
    """Sign-in → redirect; expired form → 403 page; any other Flok error → the message box page."""
    if isinstance(exc, SignInRequired):
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/ui/login"})
        return RedirectResponse("/ui/login", status_code=303)
    if isinstance(exc, CsrfError):
        return page(request, "error.html", {"title": "Form expired", "message": exc.message}, 403)
    status = status_of(exc)
    title = "Not found" if status == 404 else "Cannot do that"
    return page(request, "error.html", {"title": title, "message": problem(exc)["message"]}, status)


def is_page(request: Request) -> bool:
    """Whether the request is for the dashboard (``/ui`` and below)."""
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


NOT_FOUND = "There is no such page here. It may have moved, or the address has a typo."


def http_error_page(request: Request, status: int) -> Response:
    """An unknown address (404) or a method the address does not take (405, e.g. reloading a
    form's address) as a dashboard page with a way back."""
    if status == 404:
        return page(request, "error.html", {"title": "Page not found", "message": NOT_FOUND}, 404)
    if status == 405:
        message = "This address only takes a form's submission; open the page the form is on instead."
        return page(request, "error.html", {"title": "Not a page", "message": message}, 405)
    return page(
        request, "error.html", {"title": "Cannot do that", "message": "The request was refused."}, status
    )


def invalid_request_page(request: Request, exc: RequestValidationError) -> Response:
    """A malformed address (a campaign id that is not a number) is a page that does not exist;
    a malformed form or query string is refused with what was wrong."""
    first = exc.errors()[0] if exc.errors() else {}
    if tuple(first.get("loc", ()))[:1] == ("path",):
        return http_error_page(request, 404)
    field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
    message = f"{field}: {first.get('msg', 'invalid')}"
    return page(request, "error.html", {"title": "Cannot do that", "message": message}, 422)
