"""``install(app)``: the API's routers and its one error rendering, on the composition root's app."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from flok.service import docs, errors
from flok.service.query import known_query
from flok.service.routers import campaigns, changes, community, feedback, health, insights, runs, waitlist

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add every API route (the hottest first: the router tries routes in order) and JSON errors."""
    errors.install(app)
    for module in (feedback, health, campaigns, changes, waitlist, runs, community, insights):
        app.include_router(module.router, dependencies=[Depends(known_query)])
    docs.install(app)  # /docs and /redoc from the package, not a CDN
