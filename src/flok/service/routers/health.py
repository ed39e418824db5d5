"""Liveness and readiness: the process answers and the database too."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from flok.app.health import check_database
from flok.service.deps import StateDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    queue: str


@router.get("/healthz")
def healthz(state: StateDep) -> Health:
    return Health(status="ok", database=check_database(state), queue=state.settings.queue_kind())
