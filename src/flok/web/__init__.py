"""The organizer dashboard: server-rendered pages (Jinja2, htmx, inline SVG) on the service's app.

``install(app)`` is the one hook ``create_app`` calls: it adds the pages under ``/ui``, the
static files under ``/ui/static`` and HTML answers for sign-in, CSRF and not-found errors on
those pages (the API keeps its JSON errors).
"""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from flok.store.errors import NotFound, StoreError
from flok.web.render import page
from flok.web.routes import auth, campaigns, circles, community
from flok.web.session import CsrfError, SignInRequired

__all__ = ["install"]


def install(app: FastAPI) -> None:
    for module in (auth, campaigns, community, circles):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/ui/static", StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/ui/login"})
        return RedirectResponse("/ui/login", status_code=303)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _: CsrfError) -> Response:
        return page(
            request,
            "error.html",
            {
                "title": "Form expired",
                "message": "This form expired or came from another site. Reload the page and try again.",
            },
            403,
        )

    api_store_handler = app.exception_handlers.get(StoreError)

    async def _store(request: Request, exc: Exception) -> Response:
        """Not-found on a page is an HTML page; everything else (and the API) keeps the JSON answer."""
        if request.url.path.startswith("/ui/") and isinstance(exc, NotFound):
            return page(request, "error.html", {"title": "Not found", "message": exc.message}, 404)
        assert api_store_handler is not None
        answer = api_store_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StoreError, _store)
