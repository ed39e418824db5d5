"""Circle formations: the last one per organization (the dashboard's result, kept across restarts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from flok.store.rows import FormationRow
from flok.store.tables import circle_formations

DOWNLOADS = ("assignments", "circles", "unmatched")


def replace(
    conn: Connection, org_id: int, source: str, view: dict[str, Any], csv: dict[str, str], at: datetime
) -> None:
    """Replace the organization's formation (in the caller's transaction: the old one stays on failure)."""
    conn.execute(delete(circle_formations).where(circle_formations.c.org_id == org_id))
    conn.execute(
        circle_formations.insert().values(
            org_id=org_id,
            source=source,
            view=view,
            assignments_csv=csv["assignments"],
            circles_csv=csv["circles"],
            unmatched_csv=csv["unmatched"],
            created_at=at,
        )
    )


def get(conn: Connection, org_id: int) -> FormationRow | None:
    row = (
        conn.execute(select(circle_formations).where(circle_formations.c.org_id == org_id)).mappings().first()
    )
    if row is None:
        return None
    csv = {name: str(row[f"{name}_csv"]) for name in DOWNLOADS}
    return FormationRow(str(row["source"]), dict(row["view"]), csv, row["created_at"])
