"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from the package, so they work offline.

FastAPI's own pages load both from a CDN and start Swagger UI with an inline script; these load
the vendored copies under ``/docs-static`` (see ``static/*.LICENSE.txt``) and start Swagger UI
from a file, so the pages work without internet and under a CSP that allows only the service's
own scripts.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "PAGES", "install"]
ASSETS = "/docs-static"
PAGES = ("/docs", "/redoc")

_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API docs</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>
</body></html>
"""

_REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body></html>
"""


def install(app: FastAPI) -> None:
    """Add the two pages and their assets; the app must be built with ``docs_url=None, redoc_url=None``."""
    fields = {"title": escape(app.title), "openapi": escape(app.openapi_url or ""), "assets": ASSETS}
    swagger, redoc = _SWAGGER.format(**fields), _REDOC.format(**fields)

    @app.get(PAGES[0], include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger)

    @app.get(PAGES[1], include_in_schema=False)
    def redoc_ui() -> HTMLResponse:
        return HTMLResponse(redoc)

    app.mount(ASSETS, StaticFiles(directory=Path(__file__).parent / "static"), name="docs-static")
