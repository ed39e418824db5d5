"""Campaign pages: list, create, upload, options, run with live progress, results, move, finalize.

Every action calls the use case in ``flok.app`` (the same one the API calls) with the signed-in
organization, so the rules (lifecycle, capacity, validation) live in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool

from flok.app import campaigns as app
from flok.app import changes as changes_app
from flok.app import results as results_app
from flok.app import runs as runs_app
from flok.app.campaigns import TableKind
from flok.app.fields import CampaignName, Ident
from flok.app.state import State
from flok.errors import FlokError, InputError, NotFoundError
from flok.io import json_text
from flok.io.csv_reader import parse_csv_bytes
from flok.options import OBJECTIVES
from flok.solvers.base import names as strategy_names
from flok.solvers.rules import form_fields
from flok.web import charts, flash
from flok.web.context import StateDep
from flok.web.deps import PostDep, RowId, SessionDep, org_of
from flok.web.flash import Flash
from flok.web.render import page, problem, redirect
from flok.web.session import Session
from flok.web.views import CampaignPage, campaign_view, seats_url

router = APIRouter(prefix="/ui")
Failure = FlokError
# The side rules' option keys come from the rule registry: a new rule appears here by itself.
CONSTRAINT_KEYS = tuple(f.option for f in form_fields())
OPPORTUNITY_ROWS = 200  # the campaign page's table of uploaded opportunities shows this many
MAX_CHOICES = 300  # above this many participants the move form takes a typed id, not a list
# The form's upload kinds (the page's URLs and button labels) → the use case's table kinds; the
# page shows an error under its table kind, so the old "registrations" URL still lands there.
# Where the page shows each section's errors (the redirect after a failed post lands there).
ANCHORS = {
    "opportunities": "uploads",
    "preferences": "uploads",
    "participants": "uploads",
    "options": "options",
    "status": "status-error",
    "run": "run",
    "move": "move-h",
}
UPLOADED: dict[TableKind, str] = {
    "opportunities": "opportunities",
    "preferences": "preferences",
    "participants": "participants' attributes",
}
DONE = {
    "open": "Registrations opened.",
    "close": "Registrations closed.",
    "finalize": "Campaign finalized.",
}
UPLOADS: dict[str, TableKind] = {
    "opportunities": "opportunities",
    "registrations": "preferences",
    "preferences": "preferences",
    "participants": "participants",
}


@dataclass(frozen=True)
class ResultsQuery:
    """What the results show: the seat table's query, the demand chart's search, the unassigned's
    search and page (all in the page's query string, so every view has its own URL)."""

    seats: results_app.SeatQuery = field(default_factory=results_app.SeatQuery)
    fill_search: str = ""
    unassigned_search: str = ""
    unassigned_page: int = 1


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
    shown = flash.take(request) or Flash()
    context = {
        "title": "Campaigns",
        "campaigns": rows,
        "nav": "campaigns",
        "error": shown.errors.get("create"),
        "name": (shown.form or {}).get("name", ""),
    }
    return page(request, "campaigns.html", context)


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
        error = {"message": str(first["msg"]), "field": ".".join(str(p) for p in first["loc"]), "row": None}
        return redirect(
            request, "/ui/campaigns#new-h", Flash(errors={"create": error}, form={"name": name[:200]})
        )
    created = app.create_campaign(state, org_of(session), body.name, body.mode, {"strategy": "auto"})
    return redirect(
        request, f"/ui/campaigns/{created.campaign.id}", Flash(notice=f"Campaign “{body.name}” created.")
    )


def _results(state: State, org: int, campaign: CampaignPage, view: ResultsQuery) -> dict[str, Any] | None:
    """Charts and tables of the current allocation (manual moves included), a page at a time."""
    if campaign.status not in ("allocated", "finalized"):
        return None
    found = results_app.results(
        state,
        org,
        campaign.id,
        fill_search=view.fill_search,
        unassigned_search=view.unassigned_search,
        unassigned_page=view.unassigned_page,
    )
    seats = results_app.seat_table(state, org, campaign.id, view.seats)
    top = max((max(f.capacity, f.demand) for f in found.fill), default=0)
    bars = [(f"rank {k}" if k.isdigit() else k, float(v)) for k, v in found.ranks.items()]
    bars.append(("unassigned", float(found.unassigned_count)))
    return {
        "found": found,
        "seats": seats,
        "report": found.report,
        "column": campaign.mode,
        "rank_chart": charts.bar_chart(bars, "Seats by rank", highlight=("unassigned",)),
        "fill": [(f, charts.fill_bar(f.assigned, f.capacity, f.demand, top)) for f in found.fill],
        "titles": found.titles,
        "participants": _choices(state, org, campaign),
        # What the allocation is now (edited by hand, re-solved, changes waiting): never "optimal"
        # after a manual move (``flok.app.versioning``).
        "label": changes_app.current_label(state, org, campaign.id),
    }


def _choices(state: State, org: int, campaign: CampaignPage) -> list[str] | None:
    """Everyone, for the move form's list; None above ``MAX_CHOICES`` (the form takes a typed id)."""
    if campaign.participants > MAX_CHOICES:
        return None
    allocation = app.get_allocation(state, org, campaign.id)
    return sorted({a.participant_id for a in allocation.seats})


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
    request: Request, session: Session, state: State, campaign_id: int, view: ResultsQuery | None = None
) -> Response:
    """The campaign's page; errors, and the options the organizer typed, come from the flash a
    failed post left (post/redirect/get)."""
    org = org_of(session)
    campaign = campaign_view(app.get_campaign(state, org, campaign_id))
    shown = flash.take(request) or Flash()
    context = {
        "title": campaign.name,
        "nav": "campaigns",
        "c": campaign,
        "run": runs_app.latest_run(state, org, campaign_id=campaign_id),
        "results": _results(state, org, campaign, view or ResultsQuery()),
        # Above the results (not under a long seat table): what finalizing would confirm and reject.
        "preview": app.finalize_preview(state, org, campaign_id) if campaign.status == "allocated" else None,
        "opportunities": app.page_of_opportunities(state, org, campaign_id, limit=OPPORTUNITY_ROWS),
        "errors": shown.errors,
        "options": shown.form or _options_view(campaign.options),
        "rule_fields": form_fields(),
        "strategies": strategy_names(),
        "objectives": OBJECTIVES,
    }
    return page(request, "campaign.html", context)


Search = Annotated[str, Query(max_length=200)]
PageNumber = Annotated[str, Query(alias="page", max_length=20)]


def _view(q: str, opp: str, sort: str, desc: str, page: str, fq: str, uq: str, upage: str) -> ResultsQuery:
    """The results' query string, read leniently: an unknown sort or a page that is not a number
    falls back to the default rather than failing the page."""
    return ResultsQuery(
        seats=results_app.SeatQuery(
            search=q.strip(),
            opportunity=opp or None,
            sort=sort if sort in results_app.SEAT_SORTS else "participant",
            descending=desc == "1",
            page=_number(page),
        ),
        fill_search=fq.strip(),
        unassigned_search=uq.strip(),
        unassigned_page=_number(upage),
    )


def _number(text: str) -> int:
    return min(int(text), results_app.MAX_PAGE) if text.isdigit() else 1


@router.get("/campaigns/{campaign_id}")
def campaign_detail(
    campaign_id: RowId,
    request: Request,
    session: SessionDep,
    state: StateDep,
    q: Search = "",
    opp: Search = "",
    sort: Search = "",
    desc: Search = "",
    page_number: PageNumber = "",
    fq: Search = "",
    uq: Search = "",
    upage: Search = "",
) -> Response:
    view = _view(q, opp, sort, desc, page_number, fq, uq, upage)
    return campaign_page(request, session, state, campaign_id, view)


@router.get("/campaigns/{campaign_id}/seats")
def seat_fragment(
    campaign_id: RowId,
    request: Request,
    session: SessionDep,
    state: StateDep,
    q: Search = "",
    opp: Search = "",
    sort: Search = "",
    desc: Search = "",
    page_number: PageNumber = "",
) -> Response:
    """The seat table alone (htmx swaps it in when searching, sorting or paging); without htmx
    the same query shows on the campaign's page."""
    view = _view(q, opp, sort, desc, page_number, "", "", "")
    if request.headers.get("hx-request") != "true":
        return redirect(request, seats_url(campaign_id, view.seats))
    org = org_of(session)
    campaign = campaign_view(app.get_campaign(state, org, campaign_id))
    seats = results_app.seat_table(state, org, campaign_id, view.seats)
    return page(
        request, "partials/seats.html", {"c": campaign, "results": {"seats": seats, "column": campaign.mode}}
    )


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
        raise HTTPException(404)
    form = await request.form()
    upload = form.get("file")
    data = b""
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InputError("choose a CSV file to upload", field="file")
        data = await upload.read()
        table = parse_csv_bytes(data, upload.filename or f"{kind}.csv")
        added = await run_in_threadpool(
            app.upload_table, state, org_of(session), campaign_id, table_kind, table
        )
    except Failure as exc:
        error = problem(exc)
        if isinstance(exc, InputError) and upload is not None and not isinstance(upload, str):
            error["line"] = _offending_line(data, exc.row)
        await run_in_threadpool(app.get_campaign, state, org_of(session), campaign_id)  # else 404
        return redirect(request, f"/ui/campaigns/{campaign_id}#uploads", Flash(errors={table_kind: error}))
    done = f"Uploaded {upload.filename}: {added:,} {UPLOADED[table_kind]} added."
    return redirect(request, f"/ui/campaigns/{campaign_id}#uploads", Flash(notice=done))


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
        return _failed(request, state, session, campaign_id, "options", exc, form=form)
    return redirect(request, f"/ui/campaigns/{campaign_id}#options", Flash(notice="Options saved."))


def _failed(
    request: Request,
    state: State,
    session: Session,
    campaign_id: int,
    section: str,
    exc: FlokError,
    form: dict[str, Any] | None = None,
) -> Response:
    """Back to the campaign's page (a GET: refreshing it re-submits nothing), showing the error in
    its section; another organization's campaign is not found, as in the API."""
    if isinstance(exc, NotFoundError) and not _exists(state, session, campaign_id):
        raise exc
    return redirect(
        request,
        f"/ui/campaigns/{campaign_id}#{ANCHORS[section]}",
        Flash(errors={section: problem(exc)}, form=form),
    )


def _exists(state: State, session: Session, campaign_id: int) -> bool:
    try:
        app.get_campaign(state, org_of(session), campaign_id)
    except NotFoundError:
        return False
    return True


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
        raise HTTPException(404)
    try:
        if action == "finalize":
            app.finalize(state, org, campaign_id, actor=f"dashboard (key #{session.key_id})")
        else:
            use_case(state, org, campaign_id)
    except Failure as exc:
        return _failed(request, state, session, campaign_id, "status", exc)
    return redirect(request, f"/ui/campaigns/{campaign_id}", Flash(notice=DONE[action]))


@router.post("/campaigns/{campaign_id}/run")
def run(campaign_id: RowId, request: Request, session: PostDep, state: StateDep) -> Response:
    """Close preferences when still open (the button says so), then queue the allocation."""
    try:
        run_id = app.run_now(state, org_of(session), campaign_id)
    except Failure as exc:
        return _failed(request, state, session, campaign_id, "run", exc)
    return redirect(request, f"/ui/campaigns/{campaign_id}#run", Flash(notice=f"Run {run_id} queued."))


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
        exc = InputError("choose a participant", field="participant_id")
        return _failed(request, state, session, campaign_id, "move", exc)
    try:
        app.move_seat(
            state,
            org_of(session),
            campaign_id,
            body.participant_id,
            body.opportunity_id,
            actor=f"dashboard (key #{session.key_id})",
        )
    except Failure as exc:
        return _failed(request, state, session, campaign_id, "move", exc)
    where = f"to {body.opportunity_id}" if body.opportunity_id else "out of their seat"
    return redirect(
        request, f"/ui/campaigns/{campaign_id}#move-h", Flash(notice=f"Moved {body.participant_id} {where}.")
    )


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
    if run.kind == "resolve":  # a re-solve's page is its draft's diff
        return f"/ui/campaigns/{run.campaign_id}/runs/{run.id}/diff"
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
