"""Campaigns: create, upload opportunities and ranked registrations, close, allocate, move, finalize."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from flok.io.writers import csv_safe, write_table_csv
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import (
    AllocationOut,
    AssignmentOut,
    CampaignIn,
    CampaignOut,
    IdentPath,
    MoveIn,
    OptionsIn,
    RegistrationOut,
    RowId,
    RunStarted,
    UploadOut,
)
from flok.service.uploads import UPLOAD_DOC, read_table
from flok.store import campaigns as repo
from flok.store import runs as runs_repo
from flok.store.errors import Conflict

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES)


def _out(conn: Any, row: Any) -> CampaignOut:
    data: dict[str, Any] = {k: row[k] for k in CampaignOut.model_fields if k in row}
    data.update(repo.counts(conn, row["id"]))
    return CampaignOut(**data)


@router.post("", status_code=201)
def create_campaign(body: CampaignIn, org: OrgDep, state: StateDep) -> CampaignOut:
    with state.db.write() as conn:
        cid = repo.create(conn, org, body.name, body.mode, body.options)
        return _out(conn, repo.get(conn, org, cid))


@router.get("")
def list_campaigns(org: OrgDep, state: StateDep) -> list[CampaignOut]:
    with state.db.read() as conn:
        return [_out(conn, row) for row in repo.list_for(conn, org)]


@router.get("/{campaign_id}")
def get_campaign(campaign_id: RowId, org: OrgDep, state: StateDep) -> CampaignOut:
    with state.db.read() as conn:
        return _out(conn, repo.get(conn, org, campaign_id))


@router.delete("/{campaign_id}", status_code=204)
def delete_campaign(campaign_id: RowId, org: OrgDep, state: StateDep) -> Response:
    """Delete the campaign and everything in it (409 ``RUN_ACTIVE`` while a run is queued or running)."""
    with state.db.write() as conn:
        repo.delete_campaign(conn, org, campaign_id)
    return Response(status_code=204)


@router.put("/{campaign_id}/options")
def set_options(campaign_id: RowId, body: OptionsIn, org: OrgDep, state: StateDep) -> CampaignOut:
    with state.db.write() as conn:
        repo.set_options(conn, org, campaign_id, body.options)
        return _out(conn, repo.get(conn, org, campaign_id))


def _transition(target: str) -> Any:
    def endpoint(campaign_id: RowId, org: OrgDep, state: StateDep) -> CampaignOut:
        with state.db.write() as conn:
            repo.transition(conn, org, campaign_id, target)
            return _out(conn, repo.get(conn, org, campaign_id))

    endpoint.__name__ = f"{target}_campaign"
    endpoint.__doc__ = f"Move the campaign to '{target}'."
    return endpoint


router.post("/{campaign_id}/open")(_transition("open"))
router.post("/{campaign_id}/close")(_transition("closed"))


@router.post("/{campaign_id}/finalize")
def finalize(campaign_id: RowId, org: OrgDep, state: StateDep) -> CampaignOut:
    """Seats become confirmed registrations, all others rejected; repeating it changes nothing."""
    with state.db.write() as conn:
        repo.finalize(conn, org, campaign_id)
        return _out(conn, repo.get(conn, org, campaign_id))


async def _upload(
    request: Request, state: Any, org: Any, campaign_id: int, name: str, add: Callable[..., int]
) -> UploadOut:
    """Read a CSV or JSON upload, then add it in one write transaction off the event loop."""
    table = await read_table(request, name)

    def write() -> int:
        with state.db.write() as conn:
            return add(conn, org, campaign_id, table)

    return UploadOut(added=await run_in_threadpool(write))


@router.post("/{campaign_id}/opportunities", status_code=201, openapi_extra=UPLOAD_DOC)
async def upload_opportunities(
    campaign_id: RowId, request: Request, org: OrgDep, state: StateDep
) -> UploadOut:
    """``opportunity_id,capacity[,title]`` rows as CSV or a JSON list."""
    return await _upload(request, state, org, campaign_id, "opportunities", repo.add_opportunities)


@router.post("/{campaign_id}/registrations", status_code=201, openapi_extra=UPLOAD_DOC)
async def upload_registrations(
    campaign_id: RowId, request: Request, org: OrgDep, state: StateDep
) -> UploadOut:
    """``participant_id,opportunity_id,rank`` (or ``score``) rows as CSV or a JSON list."""
    return await _upload(request, state, org, campaign_id, "registrations", repo.add_registrations)


@router.post("/{campaign_id}/participants", status_code=201, openapi_extra=UPLOAD_DOC)
async def upload_participants(
    campaign_id: RowId, request: Request, org: OrgDep, state: StateDep
) -> UploadOut:
    """``participant_id`` plus attribute columns (``group``, ``cohort``, …) used by side constraints."""
    return await _upload(request, state, org, campaign_id, "participants", repo.add_participants)


@router.get("/{campaign_id}/registrations")
def list_registrations(
    campaign_id: RowId, org: OrgDep, state: StateDep, participant_id: str | None = None
) -> list[RegistrationOut]:
    with state.db.read() as conn:
        rows = repo.registrations_of(conn, org, campaign_id, participant_id)
    return [RegistrationOut(**{k: r[k] for k in RegistrationOut.model_fields}) for r in rows]


@router.delete("/{campaign_id}/registrations/{participant_id}", status_code=204)
def withdraw(campaign_id: RowId, participant_id: IdentPath, org: OrgDep, state: StateDep) -> Response:
    with state.db.write() as conn:
        repo.withdraw(conn, org, campaign_id, participant_id)
    return Response(status_code=204)


@router.post("/{campaign_id}/allocate", status_code=202)
def start_allocation(campaign_id: RowId, org: OrgDep, state: StateDep) -> RunStarted:
    """Queue an allocation with the campaign's options; poll ``GET /runs/{run_id}``."""
    with state.db.write() as conn:
        row = repo.get(conn, org, campaign_id, lock=True)
        if row["status"] not in repo.ALLOCATABLE:
            raise Conflict(
                f"cannot allocate while the campaign is {row['status']} (close it first)",
                field="status",
                code="WRONG_STATUS",
            )
        if runs_repo.has_active(conn, campaign_id):
            raise Conflict("an allocation of this campaign is already queued or running", code="RUN_ACTIVE")
        run_id = runs_repo.create(conn, org, "allocate", dict(row["options"]), campaign_id)
    state.queue.submit(run_id)
    return RunStarted(run_id=run_id, status="queued")


@router.get(
    "/{campaign_id}/allocation",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_allocation(
    campaign_id: RowId,
    request: Request,
    org: OrgDep,
    state: StateDep,
    format: str | None = Query(None, pattern="^(json|csv)$", description="default: from the Accept header"),
) -> Any:
    """Assignments, one row per seat plus unassigned participants (CSV with ``format=csv`` or Accept)."""
    if format is None:
        format = "csv" if "text/csv" in request.headers.get("accept", "") else "json"
    with state.db.read() as conn:
        row, rows = repo.allocation_rows(conn, org, campaign_id)
    if format == "csv":
        column = row["mode"]
        table = pa.table(
            {
                "participant_id": csv_safe(pa.array([r["participant_id"] for r in rows], pa.string())),
                "opportunity_id": csv_safe(pa.array([r["opportunity_id"] or "" for r in rows], pa.string())),
                column: pa.array([r[column] for r in rows], pa.int64() if column == "rank" else pa.float64()),
            }
        )
        buf = io.BytesIO()
        write_table_csv(table, buf)
        return Response(
            buf.getvalue(),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="campaign-{campaign_id}-assignments.csv"'},
        )
    return AllocationOut(
        campaign_id=campaign_id,
        status=row["status"],
        run_id=row["allocation_run_id"],
        assignments=[AssignmentOut(**r) for r in rows],
    )


@router.post("/{campaign_id}/allocation/moves")
def move(campaign_id: RowId, body: MoveIn, org: OrgDep, state: StateDep) -> AssignmentOut:
    """Move one participant by hand; refused with FULL when the target has no seat left."""
    with state.db.write() as conn:
        repo.move(conn, org, campaign_id, body.participant_id, body.opportunity_id)
    return AssignmentOut(participant_id=body.participant_id, opportunity_id=body.opportunity_id, manual=True)
