"""Community page: opportunities with live pulse, trending, a participant's feed, rebalance, metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from flok.service.deps import StateDep
from flok.service.market import pulse_of
from flok.service.routers import community as community_api
from flok.service.routers import insights as insights_api
from flok.service.routers import runs as runs_api
from flok.store import community as community_repo
from flok.store.errors import NotFound
from flok.web import charts
from flok.web.deps import PostDep, SessionDep, org_of
from flok.web.history import pulse_history
from flok.web.queries import latest_run
from flok.web.render import page, redirect

router = APIRouter(prefix="/ui")
HISTORY_DAYS = 7


def _feed(org: int, state: Any, participant_id: str | None) -> Any:
    if not participant_id:
        return None
    try:
        return insights_api.participant_feed(participant_id, org, state, limit=50)
    except NotFound:
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


def _context(org: int, state: Any, participant_id: str | None) -> dict[str, Any]:
    opportunities = community_api.list_opportunities(org, state, limit=1000, offset=0)
    with state.db.read() as conn:
        rows = community_repo.list_opportunities(conn, org, limit=1000)
        history = pulse_history(conn, org, rows, state.pulse, days=HISTORY_DAYS)
        run = latest_run(conn, org, kind="rebalance")
    people = community_api.list_participants(org, state, limit=1000, offset=0)
    chosen = participant_id or (people[0].participant_id if people else None)
    metrics = insights_api.get_metrics(org, state)
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
                # The API's ``pulse`` is that of the stored demand (at its last event); the
                # page shows the pulse now, the demand decayed to this moment, as its labels do.
                pulse_of(o.demand_now, o.capacity, state.pulse),
            )
            for o in opportunities
        ],
        "trending": insights_api.trending(org, state, limit=5),
        "people": people,
        "chosen": chosen,
        "feed": _feed(org, state, chosen),
        "metrics": metrics,
        "metric_charts": _metric_charts(metrics),
        "run": runs_api.run_out(run) if run is not None else None,
        "days": HISTORY_DAYS,
    }


@router.get("/community")
def community_page(
    request: Request, session: SessionDep, state: StateDep, participant_id: str | None = None
) -> Response:
    return page(request, "community.html", _context(org_of(session), state, participant_id))


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
    insights_api.start_rebalance(org_of(session), state, None)
    return redirect(request, "/ui/community#rebalance")
