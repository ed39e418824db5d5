"""``create_app(settings)``: migrate, seed the demo organization, start the run queue, mount routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import flok
from flok import web
from flok.service import errors
from flok.service.demo import seed_demo
from flok.service.deps import State
from flok.service.limits import BodyLimit
from flok.service.routers import campaigns, community, feedback, health, insights, runs
from flok.service.runs.queue import RunQueue, ThreadQueue
from flok.service.settings import Settings
from flok.store.db import Database

log = logging.getLogger("flok.service")
__all__ = ["create_app", "make_queue", "seed_demo"]


def make_queue(settings: Settings, db: Database) -> RunQueue:
    if settings.queue_kind() == "thread":
        return ThreadQueue(db, settings.run_threads, settings.run_delay_seconds)
    from flok.service.runs.pg_queue import ProcrastinateQueue

    return ProcrastinateQueue(db)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    db = Database(settings.database_url)
    if settings.migrate:
        db.migrate()
    state = State(settings=settings, db=db, queue=make_queue(settings, db))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.queue.start()
        try:
            yield
        finally:
            state.queue.stop()
            await state.feedback.aclose()

    app = FastAPI(
        title="Flok",
        version=flok.__version__,
        description="Capacity-aware matching: seat-allocation campaigns and pulse-aware community matching.",
        lifespan=lifespan,
    )
    app.state.flok = state
    errors.install(app)
    # The hottest route first: the router tries routes in order.
    for module in (feedback, health, campaigns, runs, community, insights):
        app.include_router(module.router)
    web.install(app)  # the organizer dashboard under /ui
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
