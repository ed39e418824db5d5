"""Community opportunities and participants (CRUD), and RSVPs that never over-fill a seat."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from flok.app import community as app
from flok.app.community import OpportunityView, RsvpView
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES, ErrorOut
from flok.service.schemas import (
    IdentPath,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    ParticipantIn,
    ParticipantOut,
    ParticipantPatch,
    RsvpIn,
    RsvpOut,
    UploadOut,
)
from flok.service.uploads import UPLOAD_DOC, SpecDep, read_table
from flok.store.rows import ParticipantRow

router = APIRouter(tags=["community"], responses=ERROR_RESPONSES)
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0, le=2_147_483_647)


def opportunity_out(view: OpportunityView) -> OpportunityOut:
    return OpportunityOut.model_validate(view, from_attributes=True)


# --- opportunities --------------------------------------------------------------------------
@router.post("/opportunities", status_code=201, tags=["opportunities"])
def create_opportunity(body: OpportunityIn, org: OrgDep, state: StateDep) -> OpportunityOut:
    return opportunity_out(app.create_opportunity(state, org, body.model_dump()))


@router.get("/opportunities", tags=["opportunities"])
def list_opportunities(
    org: OrgDep, state: StateDep, limit: int = Limit, offset: int = Offset
) -> list[OpportunityOut]:
    return [opportunity_out(v) for v in app.list_opportunities(state, org, limit=limit, offset=offset)]


@router.get("/opportunities/{opportunity_id}", tags=["opportunities"])
def get_opportunity(opportunity_id: IdentPath, org: OrgDep, state: StateDep) -> OpportunityOut:
    return opportunity_out(app.get_opportunity(state, org, opportunity_id))


@router.patch("/opportunities/{opportunity_id}", tags=["opportunities"])
def patch_opportunity(
    opportunity_id: IdentPath, body: OpportunityPatch, org: OrgDep, state: StateDep
) -> OpportunityOut:
    changes = body.model_dump(exclude_unset=True)
    return opportunity_out(app.change_opportunity(state, org, opportunity_id, changes))


@router.delete("/opportunities/{opportunity_id}", status_code=204, tags=["opportunities"])
def delete_opportunity(opportunity_id: IdentPath, org: OrgDep, state: StateDep) -> Response:
    app.delete_opportunity(state, org, opportunity_id)
    return Response(status_code=204)


# --- RSVPs ----------------------------------------------------------------------------------
def rsvp_out(view: RsvpView) -> RsvpOut:
    return RsvpOut.model_validate(view, from_attributes=True)


@router.post(
    "/opportunities/{opportunity_id}/rsvp",
    status_code=201,
    tags=["rsvp"],
    responses={200: {"model": RsvpOut, "description": "Already confirmed"}, 409: {"model": ErrorOut}},
)
def rsvp(opportunity_id: IdentPath, body: RsvpIn, org: OrgDep, state: StateDep) -> Any:
    """201 with a confirmed seat, 200 if it was already confirmed, 409 ``FULL`` when none is left."""
    view = app.rsvp(state, org, opportunity_id, body.participant_id)
    return JSONResponse(rsvp_out(view).model_dump(), status_code=201 if view.created else 200)


@router.delete("/opportunities/{opportunity_id}/rsvp", tags=["rsvp"])
def cancel_rsvp(
    opportunity_id: IdentPath,
    org: OrgDep,
    state: StateDep,
    participant_id: str = Query(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$"),
) -> RsvpOut:
    """Give the seat back (``?participant_id=``); it is free for the next RSVP at once."""
    return rsvp_out(app.cancel_rsvp(state, org, opportunity_id, participant_id))


# --- participants ---------------------------------------------------------------------------
def participant_out(row: ParticipantRow) -> ParticipantOut:
    return ParticipantOut.model_validate(row, from_attributes=True)


@router.post("/participants", status_code=201, tags=["participants"])
def create_participant(body: ParticipantIn, org: OrgDep, state: StateDep) -> ParticipantOut:
    return participant_out(app.create_participant(state, org, body.model_dump(mode="json")))


@router.post("/participants/upload", status_code=201, tags=["participants"], openapi_extra=UPLOAD_DOC)
async def upload_participants(request: Request, org: OrgDep, state: StateDep, spec: SpecDep) -> UploadOut:
    """Many participants at once from ``participants.csv`` (or xlsx, multipart ``file``, or a JSON
    list): ``participant_id``; optional ``interests`` (``;``-separated), ``lat``, ``lon``,
    ``availability`` (``START/END;…``) and ``first_timer`` (true/false). All or nothing."""
    table = await read_table(request, "participants", "participants", spec)
    return UploadOut(added=await run_in_threadpool(app.upload_participants, state, org, table))


@router.get("/participants", tags=["participants"])
def list_participants(
    org: OrgDep, state: StateDep, limit: int = Limit, offset: int = Offset
) -> list[ParticipantOut]:
    return [participant_out(r) for r in app.list_participants(state, org, limit=limit, offset=offset)]


@router.get("/participants/{participant_id}", tags=["participants"])
def get_participant(participant_id: IdentPath, org: OrgDep, state: StateDep) -> ParticipantOut:
    return participant_out(app.get_participant(state, org, participant_id))


@router.patch("/participants/{participant_id}", tags=["participants"])
def patch_participant(
    participant_id: IdentPath, body: ParticipantPatch, org: OrgDep, state: StateDep
) -> ParticipantOut:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return participant_out(app.change_participant(state, org, participant_id, changes))


@router.delete("/participants/{participant_id}", status_code=204, tags=["participants"])
def delete_participant(participant_id: IdentPath, org: OrgDep, state: StateDep) -> Response:
    app.delete_participant(state, org, participant_id)
    return Response(status_code=204)
