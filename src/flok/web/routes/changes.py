"""After the allocation, in the dashboard: the changes page (late participants, withdrawals,
capacities, a proposed move, a re-solve), the diff of a draft with commit/discard, the versions
with rollback, and undoing finalize. Every form carries the CSRF token and ends in a redirect
with a one-time message (post/redirect/get); every action is a ``flok.app.changes`` use case.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from flok.app import campaigns as campaigns_app
from flok.app import changes as app
from flok.app import runs as runs_app
from flok.app.seat_diff import PersonDiff, SeatDiff
from flok.errors import FlokError, InputError
from flok.io.csv_reader import parse_csv_bytes
from flok.web import flash
from flok.web.context import StateDep
from flok.web.deps import PostDep, RowId, SessionDep, org_of
from flok.web.flash import Flash
from flok.web.render import page, problem, redirect
from flok.web.session import Session
from flok.web.views import campaign_view

router = APIRouter(prefix="/ui")
Text = Annotated[str, Form(max_length=app.MAX_REASON)]
Short = Annotated[str, Form(max_length=200)]
Rows = Annotated[str, Form(max_length=1_000_000)]
DIFF_ROWS = 500  # people shown in a diff table (the counts cover everyone)
SORTS = ("participant", "change", "before", "after", "value_change")


def actor_of(session: Session) -> str:
    return f"dashboard (key #{session.key_id})"


def _changes_url(campaign_id: int, anchor: str = "") -> str:
    return f"/ui/campaigns/{campaign_id}/changes{'#' + anchor if anchor else ''}"


def _failed(
    request: Request, campaign_id: int, section: str, exc: FlokError, form: dict[str, Any] | None = None
) -> Response:
    """Back to the changes page with the error in its section (another organization's campaign
    is not found: the use case raised before any section applies)."""
    return redirect(
        request, _changes_url(campaign_id, section), Flash(errors={section: problem(exc)}, form=form)
    )


def _page(campaign: Any, title: str, **extra: Any) -> dict[str, Any]:
    """The context every page of a campaign's after-the-allocation section starts from."""
    return {"title": title, "nav": "campaigns", "c": campaign, **extra}


@router.get("/campaigns/{campaign_id}/changes")
def changes_page(campaign_id: RowId, request: Request, session: SessionDep, state: StateDep) -> Response:
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    shown = flash.take(request) or Flash()
    context = _page(
        campaign,
        f"Changes · {campaign.name}",
        label=app.current_label(state, org, campaign_id),
        changes=app.list_changes(state, org, campaign_id, limit=100),
        drafts=app.list_drafts(state, org, campaign_id),
        opportunities=campaigns_app.page_of_opportunities(state, org, campaign_id).items,
        run=runs_app.latest_run(state, org, campaign_id=campaign_id, kind="resolve"),
        errors=shown.errors,
        form=shown.form or {},
    )
    return page(request, "changes.html", context)


@router.post("/campaigns/{campaign_id}/changes/capacity")
def change_capacity(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    opportunity_id: Short = "",
    capacity: Short = "",
    reason: Text = "",
    cancel: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A new capacity, or ``cancel`` (capacity 0)."""
    try:
        if not cancel and not capacity.strip().isdigit():
            raise InputError("must be a whole number ≥ 0", field="capacity")
        done = app.set_capacity(
            state,
            org_of(session),
            campaign_id,
            opportunity_id,
            int(capacity) if capacity.strip().isdigit() else 0,
            actor=actor_of(session),
            reason=reason,
            cancel=bool(cancel),
        )
    except FlokError as exc:
        return _failed(
            request, campaign_id, "capacity", exc, {"capacity": capacity[:20], "reason": reason[:500]}
        )
    d = done.change.detail
    what = "cancelled" if cancel else f"capacity {d['before']} → {d['after']}"
    over = f"; {d['over']} seat{'s' if d['over'] != 1 else ''} over until you re-solve" if d["over"] else ""
    return redirect(
        request, _changes_url(campaign_id, "resolve-h"), Flash(notice=f"{d['opportunity_id']}: {what}{over}.")
    )


@router.post("/campaigns/{campaign_id}/changes/add")
def add_late(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    rows: Rows = "",
    reason: Text = "",
) -> Response:
    """Late participants as CSV text (``participant_id,opportunity_id,rank``)."""
    try:
        if not rows.strip():
            raise InputError("paste at least one line under the header", field="rows")
        table = parse_csv_bytes(rows.strip().encode(), "late participants")
        done = app.add_late(
            state, org_of(session), campaign_id, table, actor=actor_of(session), reason=reason
        )
    except FlokError as exc:
        return _failed(request, campaign_id, "add", exc, {"rows": rows[:2000], "reason": reason[:500]})
    n = done.change.detail["count"]
    return redirect(
        request,
        _changes_url(campaign_id, "resolve-h"),
        Flash(notice=f"{n} late participant{'s' if n != 1 else ''} added."),
    )


@router.post("/campaigns/{campaign_id}/changes/withdraw")
def withdraw(
    campaign_id: RowId, request: Request, session: PostDep, state: StateDep, ids: Rows = "", reason: Text = ""
) -> Response:
    """Participants leave (one id per line, or separated by commas)."""
    people = [p.strip() for p in ids.replace(",", "\n").splitlines() if p.strip()]
    try:
        done = app.withdraw(
            state, org_of(session), campaign_id, people, actor=actor_of(session), reason=reason
        )
    except FlokError as exc:
        return _failed(request, campaign_id, "withdraw", exc, {"ids": ids[:2000], "reason": reason[:500]})
    freed = len(done.change.detail["seats_freed"])
    return redirect(
        request,
        _changes_url(campaign_id, "resolve-h"),
        Flash(notice=f"{len(people)} withdrawn; {freed} seat{'s' if freed != 1 else ''} freed."),
    )


@router.post("/campaigns/{campaign_id}/changes/move")
def propose_move(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    participant_id: Short = "",
    opportunity_id: Short = "",
    reason: Text = "",
) -> Response:
    """A move as a draft: the diff page shows it before anything changes."""
    try:
        if not participant_id.strip():
            raise InputError("choose a participant", field="participant_id")
        run_id = app.propose_move(
            state,
            org_of(session),
            campaign_id,
            participant_id.strip(),
            opportunity_id or None,
            actor=actor_of(session),
            reason=reason,
        )
    except FlokError as exc:
        return _failed(
            request,
            campaign_id,
            "move",
            exc,
            {"participant_id": participant_id[:200], "reason": reason[:500]},
        )
    return redirect(
        request,
        f"/ui/campaigns/{campaign_id}/runs/{run_id}/diff",
        Flash(notice="Draft ready: check it, then commit or discard."),
    )


@router.post("/campaigns/{campaign_id}/resolve")
def resolve(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    stability: Short = "strict",
    move_cost: Short = "1",
    reason: Text = "",
) -> Response:
    try:
        try:
            cost = float(move_cost or "1")
        except ValueError:
            raise InputError("must be a number", field="move_cost") from None
        run_id = app.start_resolve(
            state,
            org_of(session),
            campaign_id,
            stability=stability,
            move_cost=cost,
            actor=actor_of(session),
            reason=reason,
        )
    except FlokError as exc:
        return _failed(request, campaign_id, "resolve", exc, {"reason": reason[:500]})
    return redirect(
        request, f"/ui/campaigns/{campaign_id}/runs/{run_id}/diff", Flash(notice=f"Re-solve {run_id} queued.")
    )


def _sorted(people: list[PersonDiff], sort: str, descending: bool) -> list[PersonDiff]:
    def key(p: PersonDiff) -> tuple[Any, ...]:
        if sort == "change":
            return (p.change, p.participant_id)
        if sort == "before":
            return (", ".join(p.before), p.participant_id)
        if sort == "after":
            return (", ".join(p.after), p.participant_id)
        if sort == "value_change":  # no value (unlisted, no seat) last either way round
            v = p.value_change
            return (v is None, -(v or 0) if descending else (v or 0), p.participant_id)
        return (p.participant_id,)

    ordered = sorted(people, key=key)
    return ordered[::-1] if descending and sort != "value_change" else ordered


def _diff_context(d: SeatDiff, sort: str, desc: str, only: str) -> dict[str, Any]:
    sort = sort if sort in SORTS else "participant"
    people = [p for p in d.people if not only or p.change == only]
    shown = _sorted(people, sort, desc == "1")
    return {
        "d": d,
        "people": shown[:DIFF_ROWS],
        "matched": len(people),
        "sort": sort,
        "desc": desc == "1",
        "only": only,
    }


Sort = Annotated[str, Query(max_length=20)]


@router.get("/campaigns/{campaign_id}/runs/{run_id}/diff")
def draft_page(
    campaign_id: RowId,
    run_id: RowId,
    request: Request,
    session: SessionDep,
    state: StateDep,
    sort: Sort = "",
    desc: Sort = "",
    only: Sort = "",
) -> Response:
    """A draft's diff with commit and discard; while its re-solve runs, its progress."""
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    run = runs_app.get_run(state, org, run_id)
    if run.campaign_id != campaign_id:
        raise HTTPException(404)
    context: dict[str, Any] = _page(
        campaign,
        f"Draft {run_id} · {campaign.name}",
        run=run,
    )
    if run.status == "done":
        found = app.draft_diff(state, org, campaign_id, run_id)
        context |= {"draft": found.version, "stale": found.stale} | _diff_context(
            found.diff, sort, desc, only
        )
    context["base"] = f"/ui/campaigns/{campaign_id}/runs/{run_id}/diff"
    return page(request, "diff.html", context)


@router.post("/campaigns/{campaign_id}/runs/{run_id}/{action}")
def draft_action(
    campaign_id: RowId, run_id: RowId, action: str, request: Request, session: PostDep, state: StateDep
) -> Response:
    """commit or discard a draft."""
    use_case = {"commit": app.commit, "discard": app.discard}.get(action)
    if use_case is None:
        raise HTTPException(404)
    try:
        version = use_case(state, org_of(session), campaign_id, run_id, actor=actor_of(session))
    except FlokError as exc:
        here = f"/ui/campaigns/{campaign_id}/runs/{run_id}/diff"
        campaigns_app.get_campaign(state, org_of(session), campaign_id)  # another org's: not found
        return redirect(request, here, Flash(errors={"draft": problem(exc)}))
    if action == "discard":
        return redirect(request, _changes_url(campaign_id), Flash(notice="Draft discarded; nothing changed."))
    return redirect(
        request,
        f"/ui/campaigns/{campaign_id}/versions",
        Flash(notice=f"Committed as version {version.number}."),
    )


@router.get("/campaigns/{campaign_id}/versions")
def versions_page(campaign_id: RowId, request: Request, session: SessionDep, state: StateDep) -> Response:
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    shown = flash.take(request) or Flash()
    context = _page(
        campaign,
        f"Versions · {campaign.name}",
        label=app.current_label(state, org, campaign_id),
        versions=app.list_versions(state, org, campaign_id),
        errors=shown.errors,
        rule=app.FINALIZE_RULE,
    )
    return page(request, "versions.html", context)


@router.get("/campaigns/{campaign_id}/versions/{a}/diff/{b}")
def version_diff_page(
    campaign_id: RowId,
    a: RowId,
    b: RowId,
    request: Request,
    session: SessionDep,
    state: StateDep,
    sort: Sort = "",
    desc: Sort = "",
    only: Sort = "",
) -> Response:
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    d = app.version_diff(state, org, campaign_id, a, b)
    context = _page(
        campaign,
        f"Version {a} → {b} · {campaign.name}",
        a=a,
        b=b,
    )
    context |= _diff_context(d, sort, desc, only)
    context["base"] = f"/ui/campaigns/{campaign_id}/versions/{a}/diff/{b}"
    return page(request, "diff.html", context)


@router.get("/campaigns/{campaign_id}/rollback/{number}")
def rollback_confirm(
    campaign_id: RowId, number: RowId, request: Request, session: SessionDep, state: StateDep
) -> Response:
    """The confirmation step: what rolling back to ``number`` changes, and a button to do it."""
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    versions = app.list_versions(state, org, campaign_id)
    current = versions[0].number if versions else None
    if current is None or number == current:
        return redirect(request, f"/ui/campaigns/{campaign_id}/versions")
    d = app.version_diff(state, org, campaign_id, current, number)
    context = _page(
        campaign,
        f"Roll back to version {number}?",
        number=number,
        current=current,
    )
    context |= _diff_context(d, "", "", "")
    return page(request, "rollback.html", context)


@router.post("/campaigns/{campaign_id}/rollback")
def rollback(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    version: Short = "",
    reason: Text = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if not version.isdigit() or confirm != "yes":
        return redirect(request, f"/ui/campaigns/{campaign_id}/versions")
    try:
        made = app.rollback(
            state, org_of(session), campaign_id, int(version), actor=actor_of(session), reason=reason
        )
    except FlokError as exc:
        campaigns_app.get_campaign(state, org_of(session), campaign_id)
        return redirect(
            request, f"/ui/campaigns/{campaign_id}/versions", Flash(errors={"rollback": problem(exc)})
        )
    return redirect(
        request,
        f"/ui/campaigns/{campaign_id}/versions",
        Flash(notice=f"Rolled back to version {version}: now version {made.number}."),
    )


@router.post("/campaigns/{campaign_id}/unfinalize")
def unfinalize(
    campaign_id: RowId,
    request: Request,
    session: PostDep,
    state: StateDep,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if confirm != "yes":
        return redirect(request, f"/ui/campaigns/{campaign_id}/versions")
    try:
        app.undo_finalize(state, org_of(session), campaign_id, actor=actor_of(session))
    except FlokError as exc:
        campaigns_app.get_campaign(state, org_of(session), campaign_id)
        return redirect(
            request, f"/ui/campaigns/{campaign_id}/versions", Flash(errors={"unfinalize": problem(exc)})
        )
    return redirect(
        request,
        f"/ui/campaigns/{campaign_id}",
        Flash(notice="Finalize undone: the campaign is allocated again."),
    )
