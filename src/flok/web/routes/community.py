"""Community page: opportunities with live pulse, trending, a participant's feed, rebalance, metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from flok.app import community as community_app
from flok.app import insights
from flok.app import runs as runs_app
from flok.app import schedule as schedule_app
from flok.app.state import State
from flok.errors import InputError, NotFoundError
from flok.web import charts, flash
from flok.web.context import StateDep
from flok.web.deps import PostDep, SessionDep, org_of
from flok.web.flash import Flash
from flok.web.render import page, problem, redirect

router = APIRouter(prefix="/ui")
HISTORY_DAYS = 7


def _feed(org: int, state: State, participant_id: str | None) -> insights.Feed | None:
    if not participant_id:
        return None
    try:
        return insights.participant_feed(state, org, participant_id, limit=50)
    except NotFoundError:
        return None


def _metric_charts(m: dict[str, Any]) -> list[tuple[str, Any]]:
    """(caption, chart) pairs from ``GET /metrics``."""
    out = [
        ("Fill rate", charts.meter(float(m["fill_rate"] or 0.0), "Fill rate: confirmed seats of all seats")),
        (
            "Community in numbers",
            charts.bar_chart(
                [
                    ("opportunities", float(m["opportunities"])),
                    ("participants", float(m["participants"])),
                    ("seats", float(m["capacity"])),
                    ("confirmed", float(m["confirmed"])),
                    ("high demand", float(m["high_demand"])),
                    ("full", float(m["full"])),
                ],
                "Community in numbers",
            ),
        ),
    ]
    if m.get("campaigns"):
        campaigns = [(k, float(v)) for k, v in sorted(m["campaigns"].items())]
        out.append(("Campaigns by status", charts.bar_chart(campaigns, "Campaigns by status")))
    if m.get("runs"):
        runs = [(k, float(v)) for k, v in sorted(m["runs"].items())]
        out.append(("Runs by status", charts.bar_chart(runs, "Runs by status")))
    return out


def _context(
    org: int, state: State, participant_id: str | None, shown: Flash | None = None
) -> dict[str, Any]:
    opportunities = community_app.list_opportunities(state, org, limit=1000, offset=0)
    history = insights.pulse_histories(state, org, days=HISTORY_DAYS)
    run = runs_app.latest_run(state, org, kind="rebalance")
    people = community_app.list_participants(state, org, limit=1000, offset=0)
    chosen = participant_id or (people[0].participant_id if people else None)
    metrics = insights.community_metrics(state, org)
    return {
        "title": "Community",
        "nav": "community",
        "opportunities": [
            (
                o,
                charts.sparkline(
                    history.get(o.opportunity_id, []),
                    f"Pulse of {o.title or o.opportunity_id}, last {HISTORY_DAYS} days",
                ),
                # The pulse now (the demand decayed to this moment), as the API and the labels
                # read it; None without seats: the page says "Closed", as the label does.
                o.pulse,
            )
            for o in opportunities
        ],
        "trending": insights.trending(state, org, limit=5),
        "people": people,
        "chosen": chosen,
        "feed": _feed(org, state, chosen),
        "metrics": metrics,
        "metric_charts": _metric_charts(metrics),
        "run": run,
        "days": HISTORY_DAYS,
        "schedule": schedule_app.get_schedule(state, org),
        "schedule_form": shown.form if shown and shown.form else None,
        "errors": shown.errors if shown else {},
    }


@router.get("/community")
def community_page(
    request: Request, session: SessionDep, state: StateDep, participant_id: str | None = None
) -> Response:
    shown = flash.take(request)
    return page(request, "community.html", _context(org_of(session), state, participant_id, shown))


@router.get("/community/feed")
def feed_fragment(
    request: Request, session: SessionDep, state: StateDep, participant_id: str = ""
) -> Response:
    """Just the feed, for htmx when the organizer picks another participant."""
    org = org_of(session)
    return page(
        request, "partials/feed.html", {"feed": _feed(org, state, participant_id), "chosen": participant_id}
    )


@router.post("/community/rebalance")
def rebalance(request: Request, session: PostDep, state: StateDep) -> Response:
    runs_app.start_rebalance(state, org_of(session))
    return redirect(request, "/ui/community#rebalance")


@router.post("/community/schedule")
def set_schedule(
    request: Request,
    session: PostDep,
    state: StateDep,
    enabled: Annotated[str | None, Form()] = None,
    interval_minutes: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Turn the periodic rebalance on or off and set its interval (post/redirect/get)."""
    on = enabled is not None
    try:
        view = schedule_app.set_schedule(
            state, org_of(session), enabled=on, interval_minutes=interval_minutes
        )
    except InputError as exc:
        form = {"enabled": on, "interval_minutes": interval_minutes}
        return redirect(
            request, "/ui/community#schedule", Flash(errors={"schedule": problem(exc)}, form=form)
        )
    notice = (
        f"Periodic rebalance on: every {view.interval_minutes} minutes."
        if view.enabled
        else "Periodic rebalance off."
    )
    return redirect(request, "/ui/community#schedule", Flash(notice=notice))
