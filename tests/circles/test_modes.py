"""Modes and the verifier on generated, realistic data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flok.circles import form
from flok.circles.result import CircleResult
from flok.circles.verify import violations
from flok.io.circles import read_tables, write_generated
from flok.table import Table


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Table, Table | None]:
    return read_tables(
        *write_generated(tmp_path_factory.mktemp("gen"), 220, seed=7, regions=2, continuing=0.35)
    )


@pytest.fixture(scope="module")
def results(data: tuple[Table, Table | None]) -> dict[str, CircleResult]:
    return {
        mode: form(*data, mode=mode, attributes=("industry",))
        for mode in ("preserve", "optimize", "dissolve")
    }


@pytest.mark.parametrize("mode", ["preserve", "optimize", "dissolve"])
def test_every_formation_passes_the_verifier(results: dict[str, CircleResult], mode: str) -> None:
    assert violations(results[mode]) == []
    assert results[mode].matched_proven


def test_preserve_keeps_continuing_members_and_admits_only_up_to_the_limit(
    results: dict[str, CircleResult],
) -> None:
    """Issue 16, item 5: preserve mode lets newcomers in as far as the circle allows (here the
    circles file's max_additions), never more; it used to let nobody in."""
    r = results["preserve"]
    where = r.placement()
    continuing = [p for p in r.people if p.status == "CONTINUING" and p.current_circle]
    assert continuing
    assert all(where[p.pid] == p.current_circle for p in continuing)
    joined = 0
    for c in r.circles:
        if not c.new:
            newcomers = [p for p in c.members if p.current_circle != c.circle_id]
            assert len(newcomers) <= r.existing[c.circle_id].max_additions
            joined += len(newcomers)
    assert joined, "the generated data has open seats in existing circles"


def test_optimize_lets_newcomers_join_existing_circles(results: dict[str, CircleResult]) -> None:
    r = results["optimize"]
    where = r.placement()
    assert all(
        where[p.pid] == p.current_circle for p in r.people if p.status == "CONTINUING" and p.current_circle
    )
    joined = [p for c in r.circles if not c.new for p in c.members if p.current_circle != c.circle_id]
    assert joined, "the generated data has open seats in existing circles"


def test_dissolve_uses_no_existing_circle(results: dict[str, CircleResult]) -> None:
    r = results["dissolve"]
    assert all(c.new for c in r.circles)
    assert not set(r.placement().values()) & set(r.existing)


def test_moving_out_is_never_placed(results: dict[str, CircleResult]) -> None:
    for r in results.values():
        leaving = {p.pid for p in r.people if p.status == "MOVING_OUT"}
        assert leaving
        assert not leaving & set(r.placement())
        assert {u.pid for u in r.unmatched if u.code == "moving_out"} == leaving


def test_verifier_catches_broken_formations(results: dict[str, CircleResult]) -> None:
    r = results["dissolve"]
    big = max(r.circles, key=lambda c: len(c.members))
    # Drop every host from one circle: the host rule and the "placed or unmatched" rule break.
    stripped = replace(big, members=tuple(p for p in big.members if p.host == 0))
    broken = replace(r, circles=[stripped if c is big else c for c in r.circles])
    found = violations(broken)
    assert any("host" in v for v in found) or any("outside" in v for v in found)
    assert any("placed or listed" in v for v in found)
    # Put the same person in two circles.
    other = next(c for c in r.circles if c is not big)
    doubled = replace(other, members=(*other.members, big.members[0]))
    found = violations(replace(r, circles=[doubled if c is other else c for c in r.circles]))
    assert any(" and " in v for v in found)


def test_verifier_catches_a_moved_continuing_member(results: dict[str, CircleResult]) -> None:
    r = results["optimize"]
    existing = [c for c in r.circles if not c.new and c.continuing]
    a, b = existing[0], existing[1]
    mover = a.continuing[0]
    moved = [
        replace(c, members=tuple(p for p in c.members if p is not mover))
        if c is a
        else replace(c, members=(*c.members, mover))
        if c is b
        else c
        for c in r.circles
    ]
    found = violations(replace(r, circles=moved))
    assert any("left circle" in v for v in found)


def test_parallel_regions_give_the_same_formation(
    data: tuple[Table, Table | None], results: dict[str, CircleResult]
) -> None:
    parallel = form(*data, mode="optimize", attributes=("industry",), workers=2)
    serial = results["optimize"]
    assert [r.objective for r in parallel.regions] == [r.objective for r in serial.regions]
    assert parallel.matched == serial.matched
    assert violations(parallel) == []


def test_without_a_region_column_newcomers_still_join_an_existing_circle() -> None:
    """Issue 16, item 2: leaving out the optional region column used to close every existing circle."""
    from flok.table import table_from_records

    people = [
        {
            "participant_id": f"c{k}",
            "status": "CONTINUING",
            "current_circle_id": "IP-SFO-01",
            "location_1": "Palo Alto",
            "time_1": "Tuesday evening",
        }
        for k in range(4)
    ] + [
        {
            "participant_id": f"n{k}",
            "status": "NEW",
            "current_circle_id": "",
            "location_1": "Palo Alto",
            "time_1": "Tuesday evening",
        }
        for k in range(2)
    ]
    circles = [
        {
            "circle_id": "IP-SFO-01",
            "region": "San Francisco",
            "location": "Palo Alto",
            "meeting_time": "Tuesday evening",
            "max_additions": 2,
            "format": "in_person",
        }
    ]
    result = form(
        table_from_records(people, "participants"), table_from_records(circles, "circles"), mode="optimize"
    )
    where = result.placement()
    assert where["n0"] == where["n1"] == "IP-SFO-01"
    assert any("regions are ignored" in w for w in result.report()["warnings"])
    assert violations(result) == []


@pytest.mark.parametrize("time_limit", [0.001, 0.1])
def test_short_time_limits_never_crash_and_never_claim_an_unproven_reason(
    tmp_path_factory: pytest.TempPathFactory, time_limit: float
) -> None:
    """Issue 16, items 3 and 4: an OverflowError (or "found no formation") at short limits, and
    "no formation matches more people" said of people a better formation might have placed."""
    people, existing = read_tables(*write_generated(tmp_path_factory.mktemp("big"), 1500, seed=3, regions=2))
    result = form(people, existing, time_limit=time_limit)
    assert violations(result) == []
    proven = {r.region: r.matched_proven for r in result.regions}
    for u in result.unmatched:
        if not proven[u.region]:
            assert u.code != "not_selected", u
    report = result.report()
    for region in report["regions"]:
        gap = region["objective_gap"]
        assert gap is None or gap >= -1e-6
