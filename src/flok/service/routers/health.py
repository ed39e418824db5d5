"""Liveness and readiness: the process answers and the database too."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from flok.service.deps import StateDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    queue: str


@router.get("/healthz")
def healthz(state: StateDep) -> Health:
    with state.db.read() as conn:
        conn.execute(text("SELECT 1"))
    return Health(status="ok", database=state.db.dialect, queue=state.settings.queue_kind())
