"""Campaign pages: list, create, upload, options, run with live progress, results, move, finalize.

Every action calls the use case in ``flok.app`` (the same one the API calls) with the signed-in
organization, so the rules (lifecycle, capacity, validation) live in one place.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool

from flok.app import campaigns as app
from flok.app import runs as runs_app
from flok.app.campaigns import TableKind
from flok.app.fields import CampaignName, Ident
from flok.app.state import State
from flok.errors import FlokError, InputError
from flok.io import json_text
from flok.io.csv_reader import parse_csv_bytes
from flok.options import OBJECTIVES
from flok.solvers.base import names as strategy_names
from flok.solvers.rules import form_fields
from flok.web import charts
from flok.web.context import StateDep
from flok.web.deps import PostDep, RowId, SessionDep, org_of
from flok.web.render import page, problem, redirect, status_of
from flok.web.session import Session
from flok.web.views import CampaignPage, campaign_view

router = APIRouter(prefix="/ui")
Failure = FlokError
# The side rules' option keys come from the rule registry: a new rule appears here by itself.
CONSTRAINT_KEYS = tuple(f.option for f in form_fields())
MAX_ROWS = 500  # rows of a table on a page
MAX_CHOICES = 300  # above this many participants the move form takes a typed id, not a list
# The form's upload kinds (the page's URLs and button labels) → the use case's table kinds; the
# page shows an error under its table kind, so the old "registrations" URL still lands there.
UPLOADS: dict[str, TableKind] = {
    "opportunities": "opportunities",
    "registrations": "preferences",
    "preferences": "preferences",
    "participants": "participants",
}


class _CampaignForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: CampaignName
    mode: Literal["rank", "score"] = "rank"


class _MoveForm(BaseModel):
    participant_id: Ident
    opportunity_id: Ident | None


def _campaigns(state: State, org: int) -> list[CampaignPage]:
    return [campaign_view(v) for v in app.list_campaigns(state, org)]


@router.get("/campaigns")
def campaign_list(request: Request, session: SessionDep, state: StateDep) -> Response:
    rows = _campaigns(state, org_of(session))
    return page(request, "campaigns.html", {"title": "Campaigns", "campaigns": rows, "nav": "campaigns"})


@router.post("/campaigns")
def campaign_create(
    request: Request,
    session: PostDep,
    state: StateDep,
    name: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "rank",
) -> Response:
    try:
        body = _CampaignForm(name=name.strip(), mode=mode)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        rows = _campaigns(state, org_of(session))
        error = {"message": str(first["msg"]), "field": ".".join(str(p) for p in first["loc"]), "row": None}
        context = {"title": "Campaigns", "campaigns": rows, "nav": "campaigns", "error": error, "name": name}
        return page(request, "campaigns.html", context, 422)
    created = app.create_campaign(state, org_of(session), body.name, body.mode, {"strategy": "auto"})
    return redirect(request, f"/ui/campaigns/{created.campaign.id}")


def _results(
    request: Request, session: Session, state: State, campaign: CampaignPage
) -> dict[str, Any] | None:
    """Charts and tables of the current allocation (manual moves included)."""
    if campaign.status not in ("allocated", "finalized"):
        return None
    org = org_of(session)
    allocation = app.get_allocation(state, org, campaign.id)
    report: dict[str, Any] = {}
    if campaign.allocation_run_id is not None:
        report = runs_app.get_run(state, org, campaign.allocation_run_id).report or {}
    column = campaign.mode
    seats = [a for a in allocation.seats if a.opportunity_id]
    unassigned = [a.participant_id for a in allocation.seats if not a.opportunity_id]
    ranks: Counter[str] = Counter()
    for a in seats:
        value = getattr(a, column)
        ranks["unlisted" if value is None else f"{value:g}" if column == "score" else str(value)] += 1
    if column == "rank":
        order = sorted((k for k in ranks if k.isdigit()), key=int) + (
            ["unlisted"] if "unlisted" in ranks else []
        )
        bars = [(f"rank {k}" if k.isdigit() else k, float(ranks[k])) for k in order]
    else:
        bars = [(f"score {k}", float(v)) for k, v in sorted(ranks.items())]
    bars.append(("unassigned", float(len(unassigned))))
    given = Counter(a.opportunity_id for a in seats)
    fill = [
        charts.Fill(
            str(f["opportunity_id"]), int(f["capacity"]), given[f["opportunity_id"]], int(f["demand"])
        )
        for f in report.get("fill_by_opportunity", [])
    ]
    explanations = report.get("explanations", {})
    return {
        # Big campaigns: the page shows the first rows; the CSV download has them all.
        "seats": seats[:MAX_ROWS],
        "seat_count": len(seats),
        "unassigned": [(p, explanations.get(p, {}).get("reasons", [])) for p in unassigned[:MAX_ROWS]],
        "unassigned_count": len(unassigned),
        "explained": "explanations" in report,
        "column": column,
        "report": report,
        "rank_chart": charts.bar_chart(bars, "Seats by rank", highlight=("unassigned",)),
        "fill_chart": charts.fill_chart(fill, "Seats and demand per opportunity") if fill else None,
        "opportunities": [f.label for f in fill],
        "participants": sorted({a.participant_id for a in allocation.seats})
        if len(allocation.seats) <= MAX_CHOICES
        else None,
    }


def _options_view(options: dict[str, Any]) -> dict[str, Any]:
    constraints = {k: options[k] for k in CONSTRAINT_KEYS if k in options}
    return {
        "strategy": options.get("strategy", "auto"),
        "fill_unlisted": bool(options.get("fill_unlisted", False)),
        "objective": options.get("objective", "sum"),
        "time_limit": options.get("time_limit", ""),
        "constraints": json.dumps(constraints, indent=1) if constraints else "",
    }


def campaign_page(
    request: Request,
    session: Session,
    state: State,
    campaign_id: int,
    *,
    errors: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
    options_form: dict[str, Any] | None = None,
) -> Response:
    org = org_of(session)
    campaign = campaign_view(app.get_campaign(state, org, campaign_id))
    context = {
        "title": campaign.name,
        "nav": "campaigns",
        "c": campaign,
        "run": runs_app.latest_run(state, org, campaign_id=campaign_id),
        "results": _results(request, session, state, campaign),
        # Above the results (not under a long seat table): what finalizing would confirm and reject.
        "preview": app.finalize_preview(state, org, campaign_id) if campaign.status == "allocated" else None,
        "errors": errors or {},
        "options": options_form or _options_view(campaign.options),
        "rule_fields": form_fields(),
        "strategies": strategy_names(),
        "objectives": OBJECTIVES,
    }
    return page(request, "campaign.html", context, status)


@router.get("/campaigns/{campaign_id}")
def campaign_detail(campaign_id: RowId, request: Request, session: SessionDep, state: StateDep) -> Response:
    return campaign_page(request, session, state, campaign_id)


def _offending_line(data: bytes, row: int | None) -> str | None:
    """The uploaded CSV line an error names (header = 1), so the organizer sees what to fix."""
    if row is None or row < 1:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[row - 1][:300] if row <= len(lines) else None


@router.post("/campaigns/{campaign_id}/upload/{kind}")
async def upload(
    campaign_id: RowId, kind: str, request: Request, session: PostDep, state: StateDep
) -> Response:
    """Multipart field ``file``, added by the upload use case; errors show row and line."""
    table_kind = UPLOADS.get(kind)
    if table_kind is None:
        return Response(status_code=404)
    form = await request.form()
    upload = form.get("file")
    data = b""
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InputError("choose a CSV file to upload", field="file")
        data = await upload.read()
        table = parse_csv_bytes(data, upload.filename or f"{kind}.csv")
        await run_in_threadpool(app.upload_table, state, org_of(session), campaign_id, table_kind, table)
    except Failure as exc:
        error = problem(exc)
        if isinstance(exc, InputError) and upload is not None and not isinstance(upload, str):
            error["line"] = _offending_line(data, exc.row)
        return await run_in_threadpool(
            campaign_page,
            request,
            session,
            state,
            campaign_id,
            errors={table_kind: error},
            status=status_of(exc),
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}#uploads")


def options_from_form(
    strategy: str, objective: str, fill_unlisted: bool, time_limit: str, constraints: str
) -> dict[str, Any]:
    """The options form → one campaign options object (strategy, objective, fill_unlisted,
    time_limit, and the side rules as a JSON object). The one place that knows the form's keys."""
    options: dict[str, Any] = {"strategy": strategy, "objective": objective}
    if fill_unlisted:
        options["fill_unlisted"] = True
    if time_limit.strip():
        try:
            options["time_limit"] = float(time_limit)
        except ValueError:
            raise InputError("must be a number of seconds", source="options", field="time_limit") from None
    if constraints.strip():
        extra = json_text.loads(constraints, source="options", field="constraints")  # depth, surrogates
        if not isinstance(extra, dict) or set(extra) - set(CONSTRAINT_KEYS):
            raise InputError(
                f"expected an object with keys among {', '.join(CONSTRAINT_KEYS)}",
                source="options",
                field="constraints",
            )
        options.update(extra)
    return options


@router.post("/campaigns/{campaign_id}/options")
def set_options(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    strategy: Annotated[str, Form()] = "auto",
    objective: Annotated[str, Form()] = "sum",
    fill_unlisted: Annotated[str | None, Form()] = None,
    time_limit: Annotated[str, Form()] = "",
    constraints: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Strategy, fairness objective, fill-unlisted and side constraints (JSON) in one options object."""
    form = {
        "strategy": strategy,
        "objective": objective,
        "fill_unlisted": fill_unlisted is not None,
        "time_limit": time_limit,
        "constraints": constraints,
    }
    try:
        options = options_from_form(strategy, objective, fill_unlisted is not None, time_limit, constraints)
        app.set_options(state, org_of(session), campaign_id, options)
    except Failure as exc:
        return campaign_page(
            request,
            session,
            state,
            campaign_id,
            errors={"options": problem(exc)},
            status=status_of(exc),
            options_form=form,
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}#options")


@router.get("/campaigns/{campaign_id}/finalize")
def finalize_confirm(campaign_id: RowId, request: Request, session: SessionDep, state: StateDep) -> Response:
    """The confirmation step: what finalizing will confirm and reject, and a button to do it."""
    org = org_of(session)
    campaign = campaign_view(app.get_campaign(state, org, campaign_id))
    if campaign.status != "allocated":
        return redirect(request, f"/ui/campaigns/{campaign_id}")
    context = {
        "title": f"Finalize {campaign.name}",
        "nav": "campaigns",
        "c": campaign,
        "preview": app.finalize_preview(state, org, campaign_id),
    }
    return page(request, "finalize.html", context)


@router.post("/campaigns/{campaign_id}/status/{action}")
def change_status(
    campaign_id: RowId,
    action: str,
    request: Request,
    session: PostDep,
    state: StateDep,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """open, close or finalize; finalize only with the confirmation page's ``confirm=yes``."""
    org = org_of(session)
    if action == "finalize" and confirm != "yes":
        return redirect(request, f"/ui/campaigns/{campaign_id}/finalize")
    actions = {"finalize": app.finalize, "open": app.open_campaign, "close": app.close_campaign}
    use_case = actions.get(action)
    if use_case is None:
        return Response(status_code=404)
    try:
        use_case(state, org, campaign_id)
    except Failure as exc:
        return campaign_page(
            request, session, state, campaign_id, errors={"status": problem(exc)}, status=status_of(exc)
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}")


@router.post("/campaigns/{campaign_id}/run")
def run(campaign_id: RowId, request: Request, session: PostDep, state: StateDep) -> Response:
    """Close preferences when still open (the button says so), then queue the allocation."""
    try:
        app.run_now(state, org_of(session), campaign_id)
    except Failure as exc:
        return campaign_page(
            request, session, state, campaign_id, errors={"run": problem(exc)}, status=status_of(exc)
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}#run")


@router.post("/campaigns/{campaign_id}/move")
def move(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    participant_id: Annotated[str, Form(max_length=200)] = "",
    opportunity_id: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Move one participant by hand; a full opportunity is refused (FULL) and the page says so."""
    try:
        body = _MoveForm(participant_id=participant_id, opportunity_id=opportunity_id or None)
    except ValidationError:
        error = {"message": "choose a participant", "field": "participant_id", "row": None}
        return campaign_page(request, session, state, campaign_id, errors={"move": error}, status=422)
    try:
        app.move_seat(state, org_of(session), campaign_id, body.participant_id, body.opportunity_id)
    except Failure as exc:
        return campaign_page(
            request, session, state, campaign_id, errors={"move": problem(exc)}, status=status_of(exc)
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}#results")


@router.get("/campaigns/{campaign_id}/assignments.csv")
def download(campaign_id: RowId, request: Request, session: SessionDep, state: StateDep) -> Response:
    """The allocation as CSV (formula-safe cells), as an attachment."""
    allocation = app.get_allocation(state, org_of(session), campaign_id)
    return Response(
        app.allocation_csv(allocation),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="campaign-{campaign_id}-assignments.csv"'},
    )


# --- runs -----------------------------------------------------------------------------------
def _run_home(run: Any) -> str:
    return f"/ui/campaigns/{run.campaign_id}" if run.campaign_id is not None else "/ui/community"


@router.get("/runs/{run_id}")
def run_status(
    run_id: RowId, request: Request, session: SessionDep, state: StateDep, poll: int = 0
) -> Response:
    """The progress fragment htmx polls; a finished run sends the browser back to its page."""
    found = runs_app.get_run(state, org_of(session), run_id)
    if poll and found.status not in ("queued", "running"):
        return Response(status_code=200, headers={"HX-Redirect": _run_home(found)})
    return page(request, "partials/run.html", {"run": found})


@router.post("/runs/{run_id}/cancel")
def run_cancel(run_id: RowId, request: Request, session: PostDep, state: StateDep) -> Response:
    found = runs_app.cancel_run(state, org_of(session), run_id)
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/run.html", {"run": found})
    return redirect(request, _run_home(found))
