"""The organizer dashboard: server-rendered pages (Jinja2, htmx, inline SVG) over ``flok.app``.

``install(app)`` adds the pages under ``/ui`` and the static files under ``/ui/static``;
``error_page(request, exc)`` is how a page answers a Flok error (the composition root,
``flok.server``, sends errors on ``/ui`` paths here and all others to the API's JSON).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from flok.errors import FlokError
from flok.web.render import page, problem, status_of
from flok.web.routes import auth, campaigns, circles, community
from flok.web.session import CsrfError, SignInRequired

__all__ = ["PREFIX", "error_page", "install"]
PREFIX = "/ui"


def install(app: FastAPI) -> None:
    for module in (auth, campaigns, community, circles):
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
