"""Campaigns: create, upload opportunities and ranked preferences, close, allocate, move, finalize.

Each endpoint translates HTTP to one ``flok.app.campaigns`` use case and its result to JSON.
Preferences live under ``/preferences``; the first API's ``/registrations`` paths and the
campaign's ``registrations`` count stay as deprecated aliases, so existing clients keep working.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from flok.app import campaigns as app
from flok.app import imports
from flok.app.campaigns import CampaignView, TableKind
from flok.app.state import State
from flok.service.deps import ActorDep, OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import (
    TOTAL_HEADER,
    AllocationOut,
    AssignmentOut,
    CampaignIn,
    CampaignOpportunityOut,
    CampaignOut,
    ClearedOut,
    IdentPath,
    IssueOut,
    Limit,
    MoveIn,
    Offset,
    OptionsIn,
    PreferenceOut,
    PreviewOut,
    ReplacedOut,
    RowId,
    RunStarted,
    UploadOut,
)
from flok.service.uploads import UPLOAD_DOC, SpecDep, about_the_file, json_records, read_file, read_table

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES)


def _out(view: CampaignView) -> CampaignOut:
    c, n = view.campaign, view.counts
    return CampaignOut(
        id=c.id,
        name=c.name,
        mode=c.mode,
        status=c.status,  # type: ignore[arg-type]
        options=c.options,
        allocation_run_id=c.allocation_run_id,
        created_at=c.created_at,
        updated_at=c.updated_at,
        opportunities=n.opportunities,
        preferences=n.preferences,
        registrations=n.preferences,
        participants=n.participants,
        assigned=n.assigned,
    )


@router.post("", status_code=201)
def create_campaign(body: CampaignIn, org: OrgDep, state: StateDep) -> CampaignOut:
    return _out(app.create_campaign(state, org, body.name, body.mode, body.options))


@router.get("", responses={200: {"headers": TOTAL_HEADER}})
def list_campaigns(
    org: OrgDep, state: StateDep, response: Response, limit: Limit = None, offset: Offset = 0
) -> list[CampaignOut]:
    """By id; every campaign unless ``limit`` asks for a page. ``X-Total-Count``: how many in all."""
    page = app.page_of_campaigns(state, org, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.total)
    return [_out(v) for v in page.items]


@router.get("/{campaign_id}")
def get_campaign(campaign_id: RowId, org: OrgDep, state: StateDep) -> CampaignOut:
    return _out(app.get_campaign(state, org, campaign_id))


@router.delete("/{campaign_id}", status_code=204)
def delete_campaign(campaign_id: RowId, org: OrgDep, state: StateDep) -> Response:
    """Delete the campaign and everything in it (409 ``RUN_ACTIVE`` while a run is queued or running)."""
    app.delete_campaign(state, org, campaign_id)
    return Response(status_code=204)


@router.put("/{campaign_id}/options")
def set_options(campaign_id: RowId, body: OptionsIn, org: OrgDep, state: StateDep) -> CampaignOut:
    return _out(app.set_options(state, org, campaign_id, body.options))


@router.post("/{campaign_id}/open")
def open_campaign(campaign_id: RowId, org: OrgDep, state: StateDep) -> CampaignOut:
    """Move the campaign to 'open'."""
    return _out(app.open_campaign(state, org, campaign_id))


@router.post("/{campaign_id}/close")
def closed_campaign(campaign_id: RowId, org: OrgDep, state: StateDep) -> CampaignOut:
    """Move the campaign to 'closed'."""
    return _out(app.close_campaign(state, org, campaign_id))


@router.post("/{campaign_id}/finalize")
def finalize(campaign_id: RowId, org: OrgDep, actor: ActorDep, state: StateDep) -> CampaignOut:
    """Seats become confirmed registrations, all others rejected; repeating it changes nothing.
    ``POST …/unfinalize`` undoes it until the first change after it."""
    return _out(app.finalize(state, org, campaign_id, actor=actor))


_SOURCE: dict[TableKind, str] = {
    "opportunities": "opportunities",
    "preferences": "registrations",  # the name errors have always used for a preferences upload
    "participants": "participants",
}
KindPath = Literal["opportunities", "preferences", "participants"]


async def _upload(
    request: Request, state: State, org: int, campaign_id: int, kind: TableKind, spec: SpecDep
) -> UploadOut:
    """Read a file or JSON upload, then add it in one write transaction off the event loop."""
    table = await read_table(request, _SOURCE[kind], kind, spec)
    return UploadOut(added=await run_in_threadpool(app.upload_table, state, org, campaign_id, kind, table))


@router.post("/{campaign_id}/opportunities", status_code=201, openapi_extra=UPLOAD_DOC)
async def upload_opportunities(
    campaign_id: RowId, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
) -> UploadOut:
    """``opportunity_id,capacity[,title]`` rows as CSV, xlsx or a JSON list (``map``: your headers)."""
    return await _upload(request, state, org, campaign_id, "opportunities", spec)


@router.post("/{campaign_id}/preferences", status_code=201, openapi_extra=UPLOAD_DOC)
@router.post(
    "/{campaign_id}/registrations",
    status_code=201,
    openapi_extra=UPLOAD_DOC,
    name="upload_registrations",  # the first API's operation id stays, deprecated
    deprecated=True,
)
async def upload_preferences(
    campaign_id: RowId, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
) -> UploadOut:
    """``participant_id,opportunity_id,rank`` (or ``score``) rows, or a wide export (``Choice 1..N``)."""
    return await _upload(request, state, org, campaign_id, "preferences", spec)


@router.post("/{campaign_id}/participants", status_code=201, openapi_extra=UPLOAD_DOC)
async def upload_participants(
    campaign_id: RowId, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
) -> UploadOut:
    """``participant_id`` plus attribute columns (``group``, ``cohort``, …) used by side constraints."""
    return await _upload(request, state, org, campaign_id, "participants", spec)


async def replace_upload(
    campaign_id: RowId, kind: KindPath, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
) -> ReplacedOut:
    """Replace the whole upload of ``kind`` in one transaction, until the campaign is finalized.

    The last allocation stays until a new run replaces it; a run computing meanwhile does not
    store its (stale) result. A refused file leaves the previous rows as they were.
    """
    table = await read_table(request, _SOURCE[kind], kind, spec)
    replaced = await run_in_threadpool(app.replace_table, state, org, campaign_id, kind, table)
    return ReplacedOut(replaced=replaced)


def clear_upload(campaign_id: RowId, kind: KindPath, org: OrgDep, state: StateDep) -> ClearedOut:
    """Remove the whole upload of ``kind`` (409 ``IN_USE`` for opportunities preferences name)."""
    return ClearedOut(removed=app.clear_table(state, org, campaign_id, kind))


async def preview_upload(
    campaign_id: RowId, kind: KindPath, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
) -> PreviewOut:
    """What Flok understands of a file (fields, shape, first records, counts, every problem with
    its row and your header) with the same ``map``/``preset`` as an upload. Stores nothing."""
    upload = await read_file(request, _SOURCE[kind])
    if upload is None:
        records, body_spec = await json_records(request, _SOURCE[kind], kind, spec)
        seen = await run_in_threadpool(
            imports.preview_records, state, org, campaign_id, kind, records, _SOURCE[kind], body_spec
        )
    else:
        with about_the_file():
            seen = await run_in_threadpool(
                imports.preview_upload, state, org, campaign_id, kind, upload.data, upload.name, spec
            )
    p, report = seen.preview, seen.preview.report
    return PreviewOut(
        kind=kind,
        source=report.source,
        shape=report.shape,
        fields=report.fields,
        ignored=list(report.ignored),
        notes=list(report.notes),
        headers=seen.headers,
        columns=p.columns,
        rows=p.head,
        row_numbers=p.head_rows,
        counts=p.counts,
        issues=[IssueOut(row=i.row, header=i.header, message=i.message) for i in p.issues],
        more_issues=p.more_issues,
        preset=report.preset,
    )


def _table_routes(kind: KindPath) -> None:
    """PUT, DELETE and preview under each table's own path (``/campaigns/{id}/opportunities``).

    One templated ``/{kind}`` path would also match ``/campaigns/{id}/options``, and would put
    PUT and DELETE of ``/opportunities`` under a second path of the OpenAPI document, so the
    ``Allow`` header and the document disagreed (schemathesis ST205)."""

    async def replace(
        campaign_id: RowId, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
    ) -> ReplacedOut:
        return await replace_upload(campaign_id, kind, request, org, state, spec)

    def clear(campaign_id: RowId, org: OrgDep, state: StateDep) -> ClearedOut:
        return clear_upload(campaign_id, kind, org, state)

    async def preview(
        campaign_id: RowId, request: Request, org: OrgDep, state: StateDep, spec: SpecDep
    ) -> PreviewOut:
        return await preview_upload(campaign_id, kind, request, org, state, spec)

    path = f"/{{campaign_id}}/{kind}"
    for endpoint, method, suffix, doc in (
        (replace, "PUT", "", replace_upload.__doc__),
        (clear, "DELETE", "", clear_upload.__doc__),
        (preview, "POST", "/preview", preview_upload.__doc__),
    ):
        router.add_api_route(
            path + suffix,
            endpoint,
            methods=[method],
            name=f"{endpoint.__name__}_{kind}",
            description=doc,
            openapi_extra=None if method == "DELETE" else UPLOAD_DOC,
        )


for _kind in get_args(KindPath):
    _table_routes(_kind)


@router.get("/{campaign_id}/opportunities", responses={200: {"headers": TOTAL_HEADER}})
def list_opportunities(
    campaign_id: RowId,
    org: OrgDep,
    state: StateDep,
    response: Response,
    limit: Limit = None,
    offset: Offset = 0,
) -> list[CampaignOpportunityOut]:
    """The uploaded opportunities in upload order; every one unless ``limit`` asks for a page.
    ``X-Total-Count``: how many in all."""
    page = app.page_of_opportunities(state, org, campaign_id, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.total)
    return [
        CampaignOpportunityOut(
            opportunity_id=o.opportunity_id, capacity=o.capacity, title=o.title, attributes=o.attributes or {}
        )
        for o in page.items
    ]


@router.get("/{campaign_id}/preferences")
@router.get("/{campaign_id}/registrations", name="list_registrations", deprecated=True)
def list_preferences(
    campaign_id: RowId, org: OrgDep, state: StateDep, participant_id: str | None = None
) -> list[PreferenceOut]:
    rows = app.list_preferences(state, org, campaign_id, participant_id)
    return [PreferenceOut.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/{campaign_id}/preferences/{participant_id}", status_code=204)
@router.delete("/{campaign_id}/registrations/{participant_id}", status_code=204, deprecated=True)
def withdraw(
    campaign_id: RowId, participant_id: IdentPath, org: OrgDep, actor: ActorDep, state: StateDep
) -> Response:
    """Withdraw one participant; once allocated, a recorded change that frees their seat."""
    app.withdraw(state, org, campaign_id, participant_id, actor=actor)
    return Response(status_code=204)


@router.post("/{campaign_id}/allocate", status_code=202)
def start_allocation(campaign_id: RowId, org: OrgDep, state: StateDep) -> RunStarted:
    """Queue an allocation with the campaign's options; poll ``GET /runs/{run_id}``."""
    return RunStarted(run_id=app.start_run(state, org, campaign_id), status="queued")


@router.get(
    "/{campaign_id}/allocation",
    response_model=AllocationOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "headers": TOTAL_HEADER}},
)
def get_allocation(
    campaign_id: RowId,
    request: Request,
    org: OrgDep,
    state: StateDep,
    format: str | None = Query(None, pattern="^(json|csv)$", description="default: from the Accept header"),
    limit: Limit = None,
    offset: Offset = 0,
) -> Any:
    """Assignments, one row per seat plus unassigned participants (CSV with ``format=csv`` or Accept).

    Every row unless ``limit``/``offset`` ask for a page; ``total`` (and ``X-Total-Count``)
    counts them all.
    """
    if format is None:
        format = "csv" if "text/csv" in request.headers.get("accept", "") else "json"
    allocation = app.get_allocation(state, org, campaign_id, limit=limit, offset=offset)
    total = {"X-Total-Count": str(allocation.total)}
    if format == "csv":
        disposition = f'attachment; filename="campaign-{campaign_id}-assignments.csv"'
        return Response(
            app.allocation_csv(allocation),
            media_type="text/csv",
            headers={"content-disposition": disposition, **total},
        )
    out = AllocationOut(
        campaign_id=campaign_id,
        status=allocation.campaign.status,
        run_id=allocation.campaign.allocation_run_id,
        assignments=[AssignmentOut.model_validate(r, from_attributes=True) for r in allocation.seats],
        total=allocation.total,
        offset=offset,
        limit=limit,
    )
    return JSONResponse(out.model_dump(mode="json"), headers=total)


@router.post("/{campaign_id}/allocation/moves")
def move(campaign_id: RowId, body: MoveIn, org: OrgDep, actor: ActorDep, state: StateDep) -> AssignmentOut:
    """Move one participant by hand at once (a new version labelled "edited by hand"); refused
    with FULL when the target has no seat left. ``POST …/moves`` proposes a move as a draft."""
    app.move_seat(state, org, campaign_id, body.participant_id, body.opportunity_id, actor=actor)
    return AssignmentOut(participant_id=body.participant_id, opportunity_id=body.opportunity_id, manual=True)
