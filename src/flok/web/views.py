"""What the templates read: flat views of the use cases' results."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flok.app.campaigns import CampaignView
from flok.app.results import SeatQuery


@dataclass(frozen=True)
class CampaignPage:
    """A campaign and its counts, flat, as the templates read it (``c.status``, ``c.preferences``)."""

    id: int
    name: str
    mode: str
    status: str
    options: dict[str, Any]
    allocation_run_id: int | None
    created_at: datetime
    updated_at: datetime
    opportunities: int
    preferences: int
    participants: int
    assigned: int


def campaign_view(view: CampaignView) -> CampaignPage:
    c, n = view.campaign, view.counts
    return CampaignPage(
        c.id,
        c.name,
        c.mode,
        c.status,
        c.options,
        c.allocation_run_id,
        c.created_at,
        c.updated_at,
        n.opportunities,
        n.preferences,
        n.participants,
        n.assigned,
    )


def seats_url(campaign_id: int, query: SeatQuery, fragment: bool = False, **change: Any) -> str:
    """The URL of the seat table with ``query`` changed by ``change`` (the campaign's page, or
    with ``fragment`` the table alone, for htmx)."""
    q = replace(query, **change)
    params = {
        "q": q.search,
        "opp": q.opportunity or "",
        "sort": "" if q.sort == "participant" else q.sort,
        "desc": "1" if q.descending else "",
        "page": str(q.page) if q.page > 1 else "",
    }
    text = urlencode({k: v for k, v in params.items() if v})
    base = f"/ui/campaigns/{campaign_id}/seats" if fragment else f"/ui/campaigns/{campaign_id}"
    return f"{base}?{text}" if fragment else f"{base}{'?' + text if text else ''}#seats"
