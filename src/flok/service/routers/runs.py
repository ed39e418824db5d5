"""Background runs: status, progress, report, cancellation."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from flok.app import runs as app
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import RowId, RunOut
from flok.store.rows import RunRow

router = APIRouter(prefix="/runs", tags=["runs"], responses=ERROR_RESPONSES)


def run_out(row: RunRow) -> RunOut:
    return RunOut.model_validate(row, from_attributes=True)


@router.get("")
def list_runs(
    org: OrgDep,
    state: StateDep,
    campaign_id: int | None = Query(None, ge=1, le=2_147_483_647),
    kind: Literal["allocate", "rebalance"] | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> list[RunOut]:
    """Newest first; filter by campaign or kind."""
    return [run_out(r) for r in app.list_runs(state, org, campaign_id=campaign_id, kind=kind, limit=limit)]


@router.get("/{run_id}")
def get_run(run_id: RowId, org: OrgDep, state: StateDep) -> RunOut:
    return run_out(app.get_run(state, org, run_id))


@router.post("/{run_id}/cancel")
def cancel_run(run_id: RowId, org: OrgDep, state: StateDep) -> RunOut:
    """A queued run is cancelled at once; a running one stops at its next progress report."""
    return run_out(app.cancel_run(state, org, run_id))
