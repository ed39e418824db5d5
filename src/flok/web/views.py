"""What the templates read: flat views of the use cases' results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flok.app.campaigns import CampaignView


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
