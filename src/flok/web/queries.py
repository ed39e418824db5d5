"""Read-only lookups the pages need and the API has no endpoint for; every one is scoped to an org."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, select

from flok.store.tables import runs


def latest_run(
    conn: Connection, org_id: int, *, campaign_id: int | None = None, kind: str | None = None
) -> RowMapping | None:
    """The organization's newest run of a campaign (or of a kind), to show its progress or outcome."""
    q = select(runs).where(runs.c.org_id == org_id)
    if campaign_id is not None:
        q = q.where(runs.c.campaign_id == campaign_id)
    if kind is not None:
        q = q.where(runs.c.kind == kind)
    return conn.execute(q.order_by(runs.c.id.desc()).limit(1)).mappings().first()
