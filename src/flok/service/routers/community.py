"""Community opportunities and participants (CRUD), and RSVPs that never over-fill a seat."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from flok.pulse import labels
from flok.service.deps import OrgDep, State, StateDep
from flok.service.errors import ERROR_RESPONSES, ErrorOut
from flok.service.market import demand_now, pulse_of
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
)
from flok.store import community as repo

router = APIRouter(tags=["community"], responses=ERROR_RESPONSES)
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0, le=2_147_483_647)


def opportunity_out(row: Any, state: State) -> OpportunityOut:
    cfg = state.pulse
    now = demand_now(row, time.time(), cfg)
    stored_pulse = pulse_of(float(row["demand"]), int(row["capacity"]), cfg)
    t_ref = row["t_ref"]
    return OpportunityOut(
        **{k: row[k] for k in ("opportunity_id", "capacity", "title", "start", "end", "lat", "lon", "tags")},
        confirmed=row["confirmed"],
        seats_left=max(0, row["capacity"] - row["confirmed"]),
        demand=float(row["demand"]),
        demand_at=None if t_ref is None else datetime.fromtimestamp(t_ref, UTC),
        demand_now=now,
        pulse=stored_pulse,
        labels=labels(
            pulse_of(now, int(row["capacity"]), cfg), int(row["capacity"]), int(row["confirmed"]), cfg
        ),
    )


# --- opportunities --------------------------------------------------------------------------
@router.post("/opportunities", status_code=201, tags=["opportunities"])
def create_opportunity(body: OpportunityIn, org: OrgDep, state: StateDep) -> OpportunityOut:
    with state.db.write() as conn:
        row = repo.create_opportunity(conn, org, body.model_dump())
    return opportunity_out(row, state)


@router.get("/opportunities", tags=["opportunities"])
def list_opportunities(
    org: OrgDep, state: StateDep, limit: int = Limit, offset: int = Offset
) -> list[OpportunityOut]:
    with state.db.read() as conn:
        rows = repo.list_opportunities(conn, org, limit=limit, offset=offset)
    return [opportunity_out(r, state) for r in rows]


@router.get("/opportunities/{opportunity_id}", tags=["opportunities"])
def get_opportunity(opportunity_id: IdentPath, org: OrgDep, state: StateDep) -> OpportunityOut:
    with state.db.read() as conn:
        return opportunity_out(repo.get_opportunity(conn, org, opportunity_id), state)


@router.patch("/opportunities/{opportunity_id}", tags=["opportunities"])
def patch_opportunity(
    opportunity_id: IdentPath, body: OpportunityPatch, org: OrgDep, state: StateDep
) -> OpportunityOut:
    with state.db.write() as conn:
        row = repo.patch_opportunity(conn, org, opportunity_id, body.model_dump(exclude_unset=True))
    return opportunity_out(row, state)


@router.delete("/opportunities/{opportunity_id}", status_code=204, tags=["opportunities"])
def delete_opportunity(opportunity_id: IdentPath, org: OrgDep, state: StateDep) -> Response:
    with state.db.write() as conn:
        repo.delete_opportunity(conn, org, opportunity_id)
    return Response(status_code=204)


# --- RSVPs ----------------------------------------------------------------------------------
def rsvp_out(row: Any, participant_id: str, status: Literal["confirmed", "cancelled"]) -> RsvpOut:
    return RsvpOut(
        opportunity_id=row["opportunity_id"],
        participant_id=participant_id,
        status=status,
        confirmed=row["confirmed"],
        seats_left=max(0, row["capacity"] - row["confirmed"]),
    )


@router.post(
    "/opportunities/{opportunity_id}/rsvp",
    status_code=201,
    tags=["rsvp"],
    responses={200: {"model": RsvpOut, "description": "Already confirmed"}, 409: {"model": ErrorOut}},
)
def rsvp(opportunity_id: IdentPath, body: RsvpIn, org: OrgDep, state: StateDep) -> Any:
    """201 with a confirmed seat, 200 if it was already confirmed, 409 ``FULL`` when none is left."""
    with state.db.write() as conn:
        row, created = repo.rsvp(conn, org, opportunity_id, body.participant_id)
    out = rsvp_out(row, body.participant_id, "confirmed")
    return JSONResponse(out.model_dump(), status_code=201 if created else 200)


@router.delete("/opportunities/{opportunity_id}/rsvp", tags=["rsvp"])
def cancel_rsvp(
    opportunity_id: IdentPath,
    org: OrgDep,
    state: StateDep,
    participant_id: str = Query(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$"),
) -> RsvpOut:
    """Give the seat back (``?participant_id=``); it is free for the next RSVP at once."""
    with state.db.write() as conn:
        row = repo.cancel_rsvp(conn, org, opportunity_id, participant_id)
    return rsvp_out(row, participant_id, "cancelled")


# --- participants ---------------------------------------------------------------------------
def participant_out(row: Any) -> ParticipantOut:
    return ParticipantOut(**{k: row[k] for k in ParticipantOut.model_fields})


@router.post("/participants", status_code=201, tags=["participants"])
def create_participant(body: ParticipantIn, org: OrgDep, state: StateDep) -> ParticipantOut:
    data = body.model_dump(mode="json")
    with state.db.write() as conn:
        return participant_out(repo.create_participant(conn, org, data))


@router.get("/participants", tags=["participants"])
def list_participants(
    org: OrgDep, state: StateDep, limit: int = Limit, offset: int = Offset
) -> list[ParticipantOut]:
    with state.db.read() as conn:
        return [participant_out(r) for r in repo.list_participants(conn, org, limit=limit, offset=offset)]


@router.get("/participants/{participant_id}", tags=["participants"])
def get_participant(participant_id: IdentPath, org: OrgDep, state: StateDep) -> ParticipantOut:
    with state.db.read() as conn:
        return participant_out(repo.get_participant(conn, org, participant_id))


@router.patch("/participants/{participant_id}", tags=["participants"])
def patch_participant(
    participant_id: IdentPath, body: ParticipantPatch, org: OrgDep, state: StateDep
) -> ParticipantOut:
    changes = body.model_dump(mode="json", exclude_unset=True)
    with state.db.write() as conn:
        return participant_out(repo.patch_participant(conn, org, participant_id, changes))


@router.delete("/participants/{participant_id}", status_code=204, tags=["participants"])
def delete_participant(participant_id: IdentPath, org: OrgDep, state: StateDep) -> Response:
    with state.db.write() as conn:
        repo.delete_participant(conn, org, participant_id)
    return Response(status_code=204)
