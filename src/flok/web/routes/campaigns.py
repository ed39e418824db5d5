"""Campaign pages: list, create, upload, options, run with live progress, results, move, finalize.

Every action calls the API's own endpoint functions (``flok.service.routers``) with the
signed-in organization, so the rules (lifecycle, capacity, validation) live in one place.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from flok.errors import InputError
from flok.options import OBJECTIVES
from flok.service.deps import StateDep
from flok.service.errors import ApiError
from flok.service.routers import campaigns as api
from flok.service.routers import runs as runs_api
from flok.service.schemas import CampaignIn, MoveIn, OptionsIn, RowId
from flok.solvers.base import names as strategy_names
from flok.store import campaigns as repo
from flok.store.errors import StoreError
from flok.web import charts
from flok.web.deps import PostDep, SessionDep, org_of
from flok.web.queries import latest_run
from flok.web.render import page, problem, redirect, status_of
from flok.web.session import Session

router = APIRouter(prefix="/ui")
Failure = (InputError, StoreError, ApiError)
CONSTRAINT_KEYS = ("forbidden", "forced", "quotas", "category_limit")
MAX_ROWS = 500  # rows of a table on a page
MAX_CHOICES = 300  # above this many participants the move form takes a typed id, not a list
UPLOADS = {
    "opportunities": api.upload_opportunities,
    "registrations": api.upload_registrations,
    "participants": api.upload_participants,
}


@router.get("/campaigns")
def campaign_list(request: Request, session: SessionDep, state: StateDep) -> Response:
    rows = api.list_campaigns(org_of(session), state)
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
        body = CampaignIn(name=name.strip(), mode=mode, options={"strategy": "auto"})  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        rows = api.list_campaigns(org_of(session), state)
        error = {"message": str(first["msg"]), "field": ".".join(str(p) for p in first["loc"]), "row": None}
        context = {"title": "Campaigns", "campaigns": rows, "nav": "campaigns", "error": error, "name": name}
        return page(request, "campaigns.html", context, 422)
    created = api.create_campaign(body, org_of(session), state)
    return redirect(request, f"/ui/campaigns/{created.id}")


def _results(request: Request, session: Session, state: Any, campaign: Any) -> dict[str, Any] | None:
    """Charts and tables of the current allocation (manual moves included)."""
    if campaign.status not in ("allocated", "finalized"):
        return None
    org = org_of(session)
    allocation = api.get_allocation(campaign.id, request, org, state, format="json")
    report: dict[str, Any] = {}
    if campaign.allocation_run_id is not None:
        report = runs_api.get_run(campaign.allocation_run_id, org, state).report or {}
    column = campaign.mode
    seats = [a for a in allocation.assignments if a.opportunity_id]
    unassigned = [a.participant_id for a in allocation.assignments if not a.opportunity_id]
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
        "participants": sorted({a.participant_id for a in allocation.assignments})
        if len(allocation.assignments) <= MAX_CHOICES
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
    state: Any,
    campaign_id: int,
    *,
    errors: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
    options_form: dict[str, Any] | None = None,
) -> Response:
    org = org_of(session)
    campaign = api.get_campaign(campaign_id, org, state)
    with state.db.read() as conn:
        run = latest_run(conn, org, campaign_id=campaign_id)
    context = {
        "title": campaign.name,
        "nav": "campaigns",
        "c": campaign,
        "run": runs_api.run_out(run) if run is not None else None,
        "results": _results(request, session, state, campaign),
        "errors": errors or {},
        "options": options_form or _options_view(campaign.options),
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
    """Multipart field ``file``, read by the API's own upload endpoint; errors show row and line."""
    endpoint = UPLOADS.get(kind)
    if endpoint is None:
        return Response(status_code=404)
    form = await request.form()
    upload = form.get("file")
    data = b""
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise ApiError(422, "VALIDATION_ERROR", "choose a CSV file to upload", field="file")
        data = await upload.read()
        await upload.seek(0)
        await endpoint(campaign_id, request, org_of(session), state)
    except Failure as exc:
        error = problem(exc)
        if isinstance(exc, InputError) and upload is not None and not isinstance(upload, str):
            error["line"] = _offending_line(data, exc.row)
        return await run_in_threadpool(
            campaign_page, request, session, state, campaign_id, errors={kind: error}, status=status_of(exc)
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}#uploads")


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
        options: dict[str, Any] = {"strategy": strategy, "objective": objective}
        if fill_unlisted is not None:
            options["fill_unlisted"] = True
        if time_limit.strip():
            try:
                options["time_limit"] = float(time_limit)
            except ValueError:
                raise InputError(
                    "must be a number of seconds", source="options", field="time_limit"
                ) from None
        if constraints.strip():
            try:
                extra = json.loads(constraints)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON: {exc.msg}", source="options", field="constraints"
                ) from None
            if not isinstance(extra, dict) or set(extra) - set(CONSTRAINT_KEYS):
                raise InputError(
                    f"expected an object with keys among {', '.join(CONSTRAINT_KEYS)}",
                    source="options",
                    field="constraints",
                )
            options.update(extra)
        api.set_options(campaign_id, OptionsIn(options=options), org_of(session), state)
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


@router.post("/campaigns/{campaign_id}/status/{action}")
def change_status(
    campaign_id: RowId, action: str, request: Request, session: PostDep, state: StateDep
) -> Response:
    """open, close or finalize, through the API's own transitions."""
    org = org_of(session)
    try:
        if action == "finalize":
            api.finalize(campaign_id, org, state)
        elif action in ("open", "close"):
            _transition(campaign_id, "open" if action == "open" else "closed", org, state)
        else:
            return Response(status_code=404)
    except Failure as exc:
        return campaign_page(
            request, session, state, campaign_id, errors={"status": problem(exc)}, status=status_of(exc)
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}")


def _transition(campaign_id: int, target: str, org: int, state: Any) -> None:
    """The store call the API's open/close endpoints make (they are built by a factory, not importable)."""
    with state.db.write() as conn:
        repo.transition(conn, org, campaign_id, target)


@router.post("/campaigns/{campaign_id}/run")
def run(campaign_id: RowId, request: Request, session: PostDep, state: StateDep) -> Response:
    """Close registrations when still open (the button says so), then queue the allocation."""
    org = org_of(session)
    try:
        status = api.get_campaign(campaign_id, org, state).status
        if status == "draft":
            _transition(campaign_id, "open", org, state)
            status = "open"
        if status == "open":
            _transition(campaign_id, "closed", org, state)
        api.start_allocation(campaign_id, org, state)
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
    """Move one participant by hand; the API refuses a full opportunity (FULL) and the page says so."""
    try:
        body = MoveIn(participant_id=participant_id, opportunity_id=opportunity_id or None)
    except ValidationError:
        error = {"message": "choose a participant", "field": "participant_id", "row": None}
        return campaign_page(request, session, state, campaign_id, errors={"move": error}, status=422)
    try:
        api.move(campaign_id, body, org_of(session), state)
    except Failure as exc:
        return campaign_page(
            request, session, state, campaign_id, errors={"move": problem(exc)}, status=status_of(exc)
        )
    return redirect(request, f"/ui/campaigns/{campaign_id}#results")


@router.get("/campaigns/{campaign_id}/assignments.csv")
def download(campaign_id: RowId, request: Request, session: SessionDep, state: StateDep) -> Any:
    """The API's CSV export (formula-safe cells), as an attachment."""
    return api.get_allocation(campaign_id, request, org_of(session), state, format="csv")


# --- runs -----------------------------------------------------------------------------------
def _run_home(run: Any) -> str:
    return f"/ui/campaigns/{run.campaign_id}" if run.campaign_id is not None else "/ui/community"


@router.get("/runs/{run_id}")
def run_status(
    run_id: RowId, request: Request, session: SessionDep, state: StateDep, poll: int = 0
) -> Response:
    """The progress fragment htmx polls; a finished run sends the browser back to its page."""
    found = runs_api.get_run(run_id, org_of(session), state)
    if poll and found.status not in ("queued", "running"):
        return Response(status_code=200, headers={"HX-Redirect": _run_home(found)})
    return page(request, "partials/run.html", {"run": found})


@router.post("/runs/{run_id}/cancel")
def run_cancel(run_id: RowId, request: Request, session: PostDep, state: StateDep) -> Response:
    found = runs_api.cancel_run(run_id, org_of(session), state)
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/run.html", {"run": found})
    return redirect(request, _run_home(found))
