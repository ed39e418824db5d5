import random

import hypothesis.strategies as st
import pytest
from hypothesis import given

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


WEEKEND_ALL = {(d, p) for d in (SAT, SUN) for p in range(3)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Issue 16, item 1: each clause on its own, the union taken, whatever the order.
        ("Weekday evenings or weekends", {(d, EVENING) for d in range(5)} | WEEKEND_ALL),
        ("Weekends or weekday evenings", {(d, EVENING) for d in range(5)} | WEEKEND_ALL),
        ("Evenings, Weekends", {(d, EVENING) for d in range(7)} | WEEKEND_ALL),
        ("Weekends, Monday-Thursday (Evenings)", {(d, EVENING) for d in range(4)} | WEEKEND_ALL),
        ("Mornings, Saturday afternoon", {(d, MORNING) for d in range(7)} | {(SAT, AFTERNOON)}),
        # The forms of a real survey (item 12).
        ("M-Th", {(d, p) for d in range(4) for p in range(3)}),
        ("Tu/Th", {(d, p) for d in (TUE, THU) for p in range(3)}),
        ("Evenings (M-Th)", {(d, EVENING) for d in range(4)}),
        ("Monday-Thursday (Evenings)", {(d, EVENING) for d in range(4)}),
        ("Evenings (Mon, Wed)", {(MON, EVENING), (WED, EVENING)}),
        ("after 6pm", {(d, EVENING) for d in range(7)}),
        ("before noon", {(d, MORNING) for d in range(7)}),
    ],
)
def test_multi_clause_answers_are_read_clause_by_clause(text: str, expected: set[tuple[int, int]]) -> None:
    assert set(cells(parse_time(text))) == cellset(*expected)


@pytest.mark.parametrize("text", ["Any time", "any time.", "Varies"])
def test_any_time_spellings(text: str) -> None:
    assert parse_time(text) == ALL


CLAUSES = [
    "weekends",
    "weekday evenings",
    "mornings",
    "saturday afternoon",
    "monday-thursday (evenings)",
    "tu/th",
    "evenings (m-th)",
    "friday",
    "after 6pm",
]


@given(
    st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=4),
    st.randoms(),
    st.sampled_from([", ", " or ", "; "]),
)
def test_the_order_of_clauses_never_matters(clauses: list[str], rnd: random.Random, joiner: str) -> None:
    union = 0
    for clause in clauses:
        union |= parse_time(clause)
    shuffled = clauses[:]
    rnd.shuffle(shuffled)
    assert parse_time(joiner.join(clauses)) == parse_time(joiner.join(shuffled)) == union


@pytest.mark.parametrize("text", ["T evenings", "Evenings (Mon, Wed) and sometimes", "after 11pm"])
def test_a_clause_not_fully_understood_is_refused(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_time(text)
