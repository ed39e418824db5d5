"""Background runs: status, progress, report, cancellation."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import RowId, RunOut
from flok.store import runs as repo

router = APIRouter(prefix="/runs", tags=["runs"], responses=ERROR_RESPONSES)


def run_out(row: Any) -> RunOut:
    return RunOut(**{k: row[k] for k in RunOut.model_fields})


@router.get("")
def list_runs(
    org: OrgDep,
    state: StateDep,
    campaign_id: int | None = Query(None, ge=1, le=2_147_483_647),
    kind: Literal["allocate", "rebalance"] | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> list[RunOut]:
    """Newest first; filter by campaign or kind."""
    with state.db.read() as conn:
        return [run_out(r) for r in repo.list_for(conn, org, campaign_id=campaign_id, kind=kind, limit=limit)]


@router.get("/{run_id}")
def get_run(run_id: RowId, org: OrgDep, state: StateDep) -> RunOut:
    with state.db.read() as conn:
        return run_out(repo.get(conn, org, run_id))


@router.post("/{run_id}/cancel")
def cancel_run(run_id: RowId, org: OrgDep, state: StateDep) -> RunOut:
    """A queued run is cancelled at once; a running one stops at its next progress report."""
    with state.db.write() as conn:
        return run_out(repo.request_cancel(conn, org, run_id))
