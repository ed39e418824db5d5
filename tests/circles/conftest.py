from __future__ import annotations

from typing import Any

from flok.table import Table, table_from_records


def person(pid: str, locs: str = "A", times: str = "Monday Evening", **extra: Any) -> dict[str, Any]:
    """A participant record; ``locs`` and ``times`` are '|'-separated ranked wishes."""
    row: dict[str, Any] = {"participant_id": pid, "region": "R", "status": "NEW", "host": "never"}
    for k, loc in enumerate(locs.split("|"), start=1):
        row[f"location_{k}"] = loc
    for k, t in enumerate(times.split("|"), start=1):
        row[f"time_{k}"] = t
    row.update(extra)
    return row


def table(rows: list[dict[str, Any]], source: str = "participants.csv") -> Table:
    return table_from_records(rows, source)
