"""Seeded generator of realistic circle data: regions, Zipf-skewed locations and times, hosts,
existing circles with continuing members, and typed time wishes in the spellings people use."""

from __future__ import annotations

import numpy as np

from flok.circles.roster import PARTICIPANT_TEXT_FIELDS
from flok.circles.timeslots import cell_name, cells, parse_time

REGIONS = ("Bay Area", "New York", "London", "Boston", "Los Angeles", "Chicago", "Seattle", "Singapore")
AREAS = ("Downtown", "North", "South", "East", "West", "Central", "Harbor", "Hills", "Midtown", "Airport")
TIMES = (
    "Monday Evening",
    "Tuesday Evening",
    "Wednesday Evening",
    "Thursday Evening",
    "Mon-Wed evenings",
    "Tue/Thu mornings",
    "Weekends",
    "Weekday afternoons",
    "Saturday Morning",
    "Varies",
    "Sunday Afternoon",
    "weeknights",
    "Friday Morning",
)
INDUSTRIES = ("Tech", "Finance", "Consulting", "Healthcare", "Nonprofit", "Energy", "Media", "Education")
EMPLOYMENT = ("Employed", "Founder", "Between roles")
PARTICIPANT_FIELDS = ("participant_id", *PARTICIPANT_TEXT_FIELDS, "class_year", "industry", "employment")
CIRCLE_FIELDS = ("circle_id", "region", "location", "meeting_time", "max_additions", "format")


def _zipf(rng: np.random.Generator, k: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** exponent
    return np.asarray(rng.permutation(w / w.sum()))


def generate(
    n: int, *, seed: int = 0, regions: int | None = None, continuing: float = 0.25, exponent: float = 1.1
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``n`` participant rows and the existing circles they refer to, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    n_regions = regions or int(min(len(REGIONS), max(1, round(n / 400))))
    region_share = _zipf(rng, n_regions, 0.8)
    region_of = rng.choice(n_regions, size=n, p=region_share)
    time_p = _zipf(rng, len(TIMES), exponent)
    people: list[dict[str, str]] = []
    circles: list[dict[str, str]] = []
    for r in range(n_regions):
        name = REGIONS[r]
        idx = np.flatnonzero(region_of == r)
        n_loc = int(np.clip(len(idx) // 60, 3, len(AREAS)))
        locations = [f"{name} {a}" for a in AREAS[:n_loc]] + ["Virtual"]
        loc_p = _zipf(rng, len(locations), exponent)
        rows = [_person(rng, f"P{i + 1:05d}", name, locations, loc_p, time_p) for i in idx]
        circles += _existing(rng, rows, name, r, continuing)
        people += rows
    people.sort(key=lambda row: row["participant_id"])
    return people, circles


def _person(
    rng: np.random.Generator,
    pid: str,
    region: str,
    locations: list[str],
    loc_p: np.ndarray,
    time_p: np.ndarray,
) -> dict[str, str]:
    locs = rng.choice(len(locations), size=int(rng.integers(1, 4)), replace=False, p=loc_p)
    times = rng.choice(len(TIMES), size=int(rng.integers(1, 4)), replace=False, p=time_p)
    roll = rng.random()
    status = "WAITLIST" if roll < 0.05 else "NEW"
    row = {
        "participant_id": pid,
        "status": status,
        "current_circle_id": "",
        "region": region,
        "host": str(rng.choice(["always", "sometimes", "never"], p=[0.2, 0.35, 0.45])),
        "co_lead": str(rng.choice(["yes", "no", ""], p=[0.2, 0.6, 0.2])),
        "current_co_leader": "no",
        "class_year": str(int(rng.integers(1995, 2024))),
        "industry": str(rng.choice(INDUSTRIES, p=_fixed_zipf(len(INDUSTRIES)))),
        "employment": str(rng.choice(EMPLOYMENT, p=[0.7, 0.15, 0.15])),
    }
    for k in range(3):
        row[f"location_{k + 1}"] = locations[locs[k]] if k < len(locs) else ""
        row[f"time_{k + 1}"] = TIMES[times[k]] if k < len(times) else ""
    return row


def _fixed_zipf(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1)
    return np.asarray(w / w.sum())


def _existing(
    rng: np.random.Generator, rows: list[dict[str, str]], region: str, r: int, share: float
) -> list[dict[str, str]]:
    """Group a share of the region into existing circles at their first location and time."""
    by_slot: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        first_cell = cell_name(cells(parse_time(row["time_1"]))[0])
        by_slot.setdefault((row["location_1"], first_cell), []).append(row)
    budget = int(share * len(rows))
    circles: list[dict[str, str]] = []
    for (loc, when), group in sorted(by_slot.items(), key=lambda kv: -len(kv[1])):
        size = int(rng.integers(2, 8))
        if budget < size or len(group) < size:
            continue
        cid = f"C-{r + 1:02d}-{len(circles) + 1:03d}"
        for k, row in enumerate(group[:size]):
            moving = rng.random() < 0.08
            row["status"] = "MOVING_OUT" if moving else str(rng.choice(["CONTINUING", "CURRENT-CONTINUING"]))
            row["current_circle_id"] = cid
            row["current_co_leader"] = "yes" if k < 2 else "no"
        circles.append(
            {
                "circle_id": cid,
                "region": region,
                "location": loc,
                "meeting_time": when,
                "max_additions": str(int(rng.integers(0, 5))),
                "format": "virtual" if loc == "Virtual" else "in_person",
            }
        )
        budget -= size
    return circles
