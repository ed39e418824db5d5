"""Each unmatched participant gets the reason that actually applies."""

from __future__ import annotations

from flok.circles import form

from .conftest import person, table


def reasons(rows, circles=None, **opts) -> dict[str, str]:
    result = form(
        table(rows), table(circles, "circles.csv") if circles else None, min_size=3, max_size=3, **opts
    )
    return {u.pid: u.code for u in result.unmatched}


def test_lone_location() -> None:
    rows = [person(f"a{i}", "A", host="always") for i in range(3)] + [person("z", "Zurich", host="always")]
    assert reasons(rows) == {"z": "only_one_at_location"}


def test_no_shared_time() -> None:
    rows = [
        person("a", "A", "Monday Evening", host="always"),
        person("b", "A", "Tuesday Evening", host="always"),
        person("c", "A", "Wednesday Morning", host="always"),
    ]
    assert set(reasons(rows).values()) == {"no_compatible_time"}


def test_no_host() -> None:
    rows = [person(f"a{i}", "A", host="never") for i in range(4)]
    assert set(reasons(rows).values()) == {"no_host"}


def test_existing_circle_full() -> None:
    circles = [
        {
            "circle_id": "E",
            "region": "R",
            "location": "A",
            "meeting_time": "Monday Evening",
            "max_additions": 1,
        }
    ]
    rows = [person(f"c{i}", status="CONTINUING", current_circle_id="E") for i in range(3)]
    rows += [person("n1"), person("n2")]
    got = reasons(rows, circles)
    assert list(got.values()) == ["circle_full"]


def test_outcompeted_when_the_group_is_full() -> None:
    rows = [person(f"a{i}", "A", host="always") for i in range(4)]
    assert list(reasons(rows).values()) == ["not_selected"]


def test_moving_out_and_missing_wishes() -> None:
    rows = [person(f"a{i}", "A", host="always") for i in range(3)]
    rows += [person("m", status="MOVING_OUT", host="always"), person("x", "", host="always")]
    assert reasons(rows) == {"m": "moving_out", "x": "no_location"}


def test_waitlist_is_placed_like_new() -> None:
    rows = [person(f"a{i}", "A", host="always", status="WAITLIST") for i in range(3)]
    assert reasons(rows) == {}
