"""Use cases of the dashboard's circles page: form circles and keep the organization's last formation.

What is stored is what the page shows and exports: a JSON view (circles with members and
roles, the unmatched with reasons, the report) and the three CSV downloads. So every server
process serves the same result, and a restart keeps it. One row per organization
(``flok.store.circles``).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from flok.circles import CircleOptions, CircleResult, form
from flok.circles.roles import CO_LEADER, PROPOSED
from flok.circles.roster import ALWAYS, SOMETIMES
from flok.io.circles import write_circle_table_csv as write_table_csv
from flok.io.csv_reader import read_csv
from flok.store import circles as repo
from flok.store.db import Database
from flok.store.rows import FormationRow
from flok.store.types import utcnow
from flok.table import Table

SAMPLE = Path(__file__).parent / "sample"
DEMO_ORG = "demo"  # the organization `make run` creates; it starts with the sample formed
SAMPLE_ATTRIBUTES = ("industry", "employment")
DOWNLOADS = repo.DOWNLOADS
# view: source, report, regions, unmatched, attributes (JSON); csv: download name → CSV text
Stored = FormationRow


def describe(result: CircleResult, source: str) -> dict[str, Any]:
    """The page's view of a formation, as plain JSON."""
    regions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in sorted(result.circles, key=lambda c: (c.region, c.circle_id)):
        regions[c.region].append(
            {
                "id": c.circle_id,
                "location": c.location,
                "time": c.meeting_time,
                "new": c.new,
                "size": len(c.members),
                "hosts_always": sum(p.host == ALWAYS for p in c.members),
                "hosts_sometimes": sum(p.host == SOMETIMES for p in c.members),
                "co_leaders": sum(r == CO_LEADER for r in c.roles.values()),
                "proposed": sum(r == PROPOSED for r in c.roles.values()),
                "diversity": {k: v.get("distinct", 0) for k, v in c.diversity.items()},
                "members": [[p.pid, c.roles[p.pid].replace("_", " ")] for p in c.members],
                "flags": [f.replace("_", " ") for f in c.flags],
            }
        )
    return {
        "source": source,
        "report": _json_safe(result.report()),
        "regions": dict(regions),
        "unmatched": [{"pid": u.pid, "region": u.region, "text": u.text} for u in result.unmatched],
        "attributes": list(result.options.attributes),
    }


def _json_safe(value: Any) -> Any:
    """NaN and infinities become None: PostgreSQL's json refuses them."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv(table: Table) -> str:
    buf = io.BytesIO()
    write_table_csv(table, buf)
    return buf.getvalue().decode("utf-8")


def put(db: Database, org_id: int, result: CircleResult, source: str) -> Stored:
    """Replace the organization's formation (one transaction: the old one stays if this fails)."""
    view = describe(result, source)
    csv = {
        "assignments": _csv(result.assignments_table()),
        "circles": _csv(result.circles_table()),
        "unmatched": _csv(result.unmatched_table()),
    }
    now = utcnow()
    with db.write() as conn:
        repo.replace(conn, org_id, source, view, csv, now)
    return FormationRow(source, view, csv, now)


def get(db: Database, org_id: int) -> Stored | None:
    """The organization's last formation, if any."""
    with db.read() as conn:
        return repo.get(conn, org_id)


def form_circles(
    db: Database, org_id: int, people: Table, existing: Table | None, options: CircleOptions, source: str
) -> Stored:
    """Form circles from uploaded tables and keep the result as the organization's formation."""
    return put(db, org_id, form(people, existing, options), source)


def sample_tables() -> tuple[Table, Table]:
    return read_csv(SAMPLE / "circle-participants.csv"), read_csv(SAMPLE / "circles.csv")


def form_sample(db: Database, org_id: int, options: CircleOptions | None = None) -> Stored:
    people, circles = sample_tables()
    opts = options or CircleOptions(attributes=SAMPLE_ATTRIBUTES, time_limit=20.0)
    return put(db, org_id, form(people, circles, opts), "sample data (60 participants, 3 existing circles)")


def get_or_seed(db: Database, org_id: int, org_name: str) -> Stored | None:
    """The demo organization starts with the sample formed, so the page shows circles at first start."""
    found = get(db, org_id)
    if found is None and org_name == DEMO_ORG:
        found = form_sample(db, org_id)
    return found
