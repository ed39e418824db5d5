"""The composition root: one ASGI app with the API (``flok.service``) and the dashboard (``flok.web``).

It builds the process's ``flok.app`` state (database, migrations, run queue, caches), mounts
both entry layers on it, sends each Flok error to the layer that renders it (pages on ``/ui``,
JSON everywhere else), limits request bodies (their size, and JSON no layer could handle) and adds
security headers to every answer.
``flok serve``, ``flok.server.asgi``, the tests and the benchmarks all build the app here.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

import flok
from flok.app.demo import seed_demo
from flok.app.settings import Settings
from flok.app.state import State
from flok.app.worker.ticker import Ticker
from flok.errors import FlokError
from flok.server.headers import SecurityHeaders
from flok.service import app as api
from flok.service import docs
from flok.service.errors import flok_error_response
from flok.service.limits import BodyLimit, JsonGuard
from flok.store import faults
from flok.web import error_page, http_error_page, invalid_request_page, is_page
from flok.web import install as install_dashboard

log = logging.getLogger("flok.server")
__all__ = ["Settings", "create_app", "seed_demo"]


async def _answer(answer: Response | Awaitable[Response]) -> Response:
    """An exception handler's answer (Starlette allows plain and async handlers)."""
    return await answer if inspect.isawaitable(answer) else answer


def create_app(settings: Settings | None = None) -> FastAPI:
    """Migrate (unless ``settings.migrate`` is off), then the API, the dashboard and the run queue."""
    state = State.open(settings or Settings())

    # Periodic rebalances tick here with the in-process queue; `flok worker` ticks them itself.
    ticker = (
        Ticker(state.db, state.pulse, state.queue.submit, state.settings.schedule_tick_seconds)
        if state.settings.queue_kind() == "thread"
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.queue.start()
        if ticker is not None:
            ticker.start()
        try:
            yield
        finally:
            if ticker is not None:
                ticker.stop()
            state.queue.stop()
            await state.feedback.aclose()

    app = FastAPI(
        title="Flok",
        version=flok.__version__,
        description="Capacity-aware matching: seat-allocation campaigns and pulse-aware community matching.",
        lifespan=lifespan,
        docs_url=None,  # flok.service.docs serves /docs and /redoc from the package (offline)
        redoc_url=None,
    )
    app.state.flok = state
    api.install(app)
    install_dashboard(app)  # the organizer dashboard under /ui

    @app.exception_handler(FlokError)
    async def _flok(request: Request, exc: FlokError) -> Response:
        if is_page(request):
            return error_page(request, exc)
        return flok_error_response(exc)

    # An unknown or malformed address under /ui is a dashboard page too, not the API's JSON.
    api_http, api_invalid = (
        app.exception_handlers[HTTPException],
        app.exception_handlers[RequestValidationError],
    )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if is_page(request):
            return http_error_page(request, exc.status_code)
        return await _answer(api_http(request, exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return invalid_request_page(request, exc)
        return await _answer(api_invalid(request, exc))

    async def _database(request: Request, exc: Exception) -> Response:
        # Lost connection, server down, read-only or full storage: 503 with an operator's
        # message, logged once per cause. Anything else of these classes is a defect (500).
        if not faults.is_disconnect(exc):
            raise exc
        refusal = faults.unavailable(exc)
        state.faults.error(refusal, exc)
        return await _flok(request, refusal)

    for kind in faults.DISCONNECTS:
        app.add_exception_handler(kind, _database)

    app.add_middleware(JsonGuard)  # inside BodyLimit (added last, so outermost): buffers bounded bodies
    app.add_middleware(BodyLimit, max_bytes=state.settings.max_body_bytes)
    # Outermost of ours, so the body limit's 413 carries the headers too.
    app.add_middleware(SecurityHeaders, https=state.settings.https, docs_paths=docs.PAGES)
    return app
