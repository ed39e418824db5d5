"""The last circle formation per organization, kept in this process's memory.

The service has no tables for circles, so results are not persisted: a restart forgets them
(the organizer uploads again, or loads the sample). One result per organization bounds memory.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flok.circles import CircleOptions, CircleResult, form
from flok.io.table import Table, read_csv

SAMPLE = Path(__file__).parent / "sample"
DEMO_ORG = "demo"  # the organization `make run` creates; it starts with the sample formed
SAMPLE_ATTRIBUTES = ("industry", "employment")


@dataclass(frozen=True)
class Stored:
    result: CircleResult
    source: str
    at: float = field(default_factory=time.time)


_results: dict[int, Stored] = {}
_lock = threading.Lock()


def get(org_id: int) -> Stored | None:
    with _lock:
        return _results.get(org_id)


def put(org_id: int, result: CircleResult, source: str) -> Stored:
    stored = Stored(result, source)
    with _lock:
        _results[org_id] = stored
    return stored


def sample_tables() -> tuple[Table, Table]:
    return read_csv(SAMPLE / "circle-participants.csv"), read_csv(SAMPLE / "circles.csv")


def form_sample(org_id: int, options: CircleOptions | None = None) -> Stored:
    people, circles = sample_tables()
    opts = options or CircleOptions(attributes=SAMPLE_ATTRIBUTES, time_limit=20.0)
    return put(org_id, form(people, circles, opts), "sample data (60 participants, 3 existing circles)")


def get_or_seed(org_id: int, org_name: str) -> Stored | None:
    """The demo organization starts with the sample formed, so the page shows circles at first start."""
    found = get(org_id)
    if found is None and org_name == DEMO_ORG:
        found = form_sample(org_id)
    return found
