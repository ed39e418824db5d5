import pytest

from flok.circles.timeslots import ALL, TimeParseError, cells, parse_time

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MORNING, AFTERNOON, EVENING = range(3)


def cellset(*pairs: tuple[int, int]) -> set[int]:
    return {d * 3 + p for d, p in pairs}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday Evening", cellset((MON, EVENING))),
        ("monday evening", cellset((MON, EVENING))),
        ("MONDAY EVENING", cellset((MON, EVENING))),
        ("Mon-Wed evenings", cellset((MON, EVENING), (TUE, EVENING), (WED, EVENING))),
        ("Tue/Thu mornings", cellset((TUE, MORNING), (THU, MORNING))),
        ("Weekends", cellset(*[(d, p) for d in (SAT, SUN) for p in range(3)])),
        ("Weekday afternoons", cellset(*[(d, AFTERNOON) for d in range(5)])),
        ("weeknights", cellset(*[(d, EVENING) for d in range(5)])),
        ("Fri-Sun evenings", cellset((FRI, EVENING), (SAT, EVENING), (SUN, EVENING))),
        ("Sat-Mon mornings", cellset((SAT, MORNING), (SUN, MORNING), (MON, MORNING))),
        ("Tuesday", cellset((TUE, MORNING), (TUE, AFTERNOON), (TUE, EVENING))),
        ("Evenings", cellset(*[(d, EVENING) for d in range(7)])),
        ("Monday evening, Thursday morning", cellset((MON, EVENING), (THU, MORNING))),
        ("Thurs evening", cellset((THU, EVENING))),
    ],
)
def test_spellings_people_type(text: str, expected: set[int]) -> None:
    assert set(cells(parse_time(text))) == expected


@pytest.mark.parametrize("text", ["Varies", "varies", "VARIES", "Any", "Flexible"])
def test_varies_matches_every_time(text: str) -> None:
    assert parse_time(text) == ALL


def test_empty_is_no_wish() -> None:
    assert parse_time("   ") == 0


@pytest.mark.parametrize("text", ["sometime soon", "Mondya evening", "12pm", "-Wed", "Mon-"])
def test_unreadable_values_raise(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_time(text)
