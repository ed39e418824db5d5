"""Virtual circles across regions (issue 16, item 8).

In-person circles stay inside a region; a virtual location naming a time zone ("Virtual – Pacific
Time") is one place for every region, and people who accept in-person and virtual circles are
candidates for both. Checked on a known answer and against the independent naive model.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flok.circles import CircleOptions, form
from flok.circles.roster import roster_from_tables
from flok.circles.verify import violations

from . import oracle
from .conftest import person, table

PT = "Virtual – Pacific Time"
SF, SEA = "San Francisco", "Seattle"
VO_ID = re.compile(r"^VO-PST-NEW-\d\d$")


def _people(n: int, prefix: str, region: str, locs: str, times: str = "Tuesday evening", **kw: Any) -> list:
    return [person(f"{prefix}{k}", locs, times, region=region, host="sometimes", **kw) for k in range(n)]


def test_three_san_francisco_and_three_seattle_people_form_one_virtual_circle() -> None:
    rows = _people(3, "sf", SF, PT) + _people(3, "sea", SEA, PT)
    result = form(table(rows), None, CircleOptions(min_size=5, max_size=10))
    assert violations(result) == []
    assert result.matched == 6 and result.matched_proven
    [circle] = result.circles
    assert VO_ID.match(circle.circle_id)
    assert circle.virtual and circle.meeting_time == "Tuesday Evening"
    assert circle.region == "San Francisco + Seattle"
    assert {p.region for p in circle.members} == {SF, SEA}
    assert "across 2 regions" in result.summary()


def test_a_virtual_location_without_a_time_zone_stays_in_its_region() -> None:
    # "Virtual" names no time zone: a Tuesday evening in San Francisco is not one in Seattle.
    rows = _people(3, "sf", SF, "Virtual") + _people(3, "sea", SEA, "Virtual")
    result = form(table(rows), None, CircleOptions(min_size=5, max_size=10))
    assert result.matched == 0
    assert {u.code for u in result.unmatched} == {"no_compatible_time"}


def test_in_person_circles_never_mix_regions() -> None:
    rows = _people(3, "sf", SF, "Downtown") + _people(3, "sea", SEA, "Downtown")
    result = form(table(rows), None, CircleOptions(min_size=5, max_size=10))
    assert result.matched == 0


def test_people_accepting_in_person_or_virtual_are_candidates_for_both() -> None:
    # Three San Franciscans rank their city first and the Pacific virtual circle second; the city
    # alone is too small, so all six meet virtually with the three Seattle people.
    rows = _people(3, "sf", SF, f"San Francisco - City|{PT}") + _people(3, "sea", SEA, PT)
    result = form(table(rows), None, CircleOptions(min_size=5, max_size=10))
    assert result.matched == 6
    assert [c.location for c in result.circles] == [PT]
    # With five San Franciscans, they meet in person (first choice) and Seattle cannot reach five.
    rows = _people(5, "sf", SF, f"San Francisco - City|{PT}") + _people(3, "sea", SEA, PT)
    result = form(table(rows), None, CircleOptions(min_size=5, max_size=10))
    assert violations(result) == []
    assert result.matched == 8
    assert sorted(c.location for c in result.circles) == [PT]  # all eight: one circle matches most


def test_an_existing_virtual_circle_takes_newcomers_from_another_region() -> None:
    rows = [
        person(f"c{k}", PT, "Tuesday evening", region=SF, status="CONTINUING", current_circle_id="VO-PST-01")
        for k in range(4)
    ] + _people(2, "sea", SEA, PT)
    circles = [
        {
            "circle_id": "VO-PST-01",
            "region": SF,
            "location": PT,
            "meeting_time": "Tuesday evening",
            "max_additions": 2,
        }
    ]
    result = form(table(rows), table(circles, "circles.csv"), CircleOptions(min_size=5, max_size=10))
    assert violations(result) == []
    assert result.placement() == {f"c{k}": "VO-PST-01" for k in range(4)} | {
        "sea0": "VO-PST-01",
        "sea1": "VO-PST-01",
    }


LOCS = ["A", "B", PT, "Virtual"]
SHARED = frozenset({"virtual-pacific time"})  # the location key of PT (dashes folded); "virtual" is not
TIMES = ["Monday Evening", "Tuesday Evening", "Mon-Tue evenings", "Weekends"]


@st.composite
def instances(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], CircleOptions]:
    n = draw(st.integers(3, 11))
    rows = []
    for i in range(n):
        locs = draw(st.lists(st.sampled_from(LOCS), min_size=1, max_size=2, unique=True))
        times = draw(st.lists(st.sampled_from(TIMES), min_size=1, max_size=2, unique=True))
        host = draw(st.sampled_from(["always", "sometimes", "sometimes", "never"]))
        region = draw(st.sampled_from(["R1", "R2", "R3"]))
        rows.append(person(f"p{i}", "|".join(locs), "|".join(times), host=host, region=region))
    circles = []
    if draw(st.booleans()):
        members = draw(st.integers(1, min(3, n - 1)))
        region = rows[0]["region"]
        for row in rows[:members]:
            row.update(status="CONTINUING", current_circle_id="E1", region=region)
        circles.append(
            {
                "circle_id": "E1",
                "region": region,
                "location": draw(st.sampled_from(LOCS)),
                "meeting_time": draw(st.sampled_from(TIMES[:2])),
                "max_additions": draw(st.integers(0, 2)),
            }
        )
    lo = draw(st.integers(2, 3))
    hi = draw(st.integers(lo, 4))
    return rows, circles, CircleOptions(min_size=lo, max_size=hi)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_regions_and_shared_virtual_locations_match_the_naive_model(case: tuple) -> None:
    rows, circles, opts = case
    circ = table(circles, "circles.csv") if circles else None
    result = form(table(rows), circ, opts)
    assert violations(result) == []
    roster = roster_from_tables(table(rows), circ, opts)
    existing: list[tuple[str, int, int, int, str | None]] = []
    for c in roster.circles.values():
        members = sum(1 for p in roster.people if p.current_circle == c.circle_id)
        existing.append((c.location, c.mask, c.max_additions, members, c.region))
    free = [p for p in roster.people if not p.current_circle]
    best, score = oracle.solve(free, existing, opts, SHARED)
    fixed = sum(1 for r in rows if r.get("current_circle_id"))
    assert result.matched == best + fixed
    assert result.matched_proven
    assert sum(r.objective for r in result.regions) == score
    for formed in result.circles:
        if formed.new and formed.location == PT:
            assert VO_ID.match(formed.circle_id)
        elif formed.new:
            assert len({p.region for p in formed.members}) == 1
    # Every unmatched reason is true: nobody said to lack a place or time has a fitting group.
    for u in result.unmatched:
        if u.code in ("no_compatible_time", "only_one_at_location"):
            p = next(p for p in roster.people if p.pid == u.pid)
            assert not _some_slot(p, roster.people, opts)


def _some_slot(p: Any, people: list, opts: CircleOptions) -> bool:
    """Whether ``min_size`` free people (same region, or anyone at a shared location) share one of
    ``p``'s locations and a time cell with ``p``: written from the rule, not from the candidates."""
    mine = 0
    for t in p.times:
        mine |= t
    for loc in p.locations:
        for cell in range(21):
            if not mine >> cell & 1:
                continue
            fits = [
                q
                for q in people
                if not q.current_circle
                and loc in q.locations
                and any(t >> cell & 1 for t in q.times)
                and (loc in SHARED or q.region == p.region)
            ]
            if len(fits) >= opts.min_size:
                return True
    return False
