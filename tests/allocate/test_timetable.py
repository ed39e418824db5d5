"""Weekly timetables: the ``meetings`` column and JSON form, read exactly, and exact clashes on them.

The oracle for clashes is a brute-force loop over every pair of meetings; the parser is checked
against schedules written out in the spellings registrars export.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import flok
from flok.errors import InputError
from flok.io.problem_io import read_problem
from flok.model import Problem
from flok.solvers.sidemodel import build, pairs_of
from flok.timetable import DAY_NAMES, format_meetings, overlap_cliques, parse_meetings

H = 60  # minutes

SPELLINGS = {
    "TueThu 13:00-14:15": [(1, 13 * H, 14 * H + 15), (3, 13 * H, 14 * H + 15)],
    "MWF 9:00-9:50": [(d, 9 * H, 9 * H + 50) for d in (0, 2, 4)],
    "Tue Thu 01:00 PM - 02:15 PM": [(1, 13 * H, 14 * H + 15), (3, 13 * H, 14 * H + 15)],
    "TR 9-10:15": [(1, 9 * H, 10 * H + 15), (3, 9 * H, 10 * H + 15)],
    "TTh 11:30 a.m. - 12:45 p.m.": [(1, 690, 765), (3, 690, 765)],
    "M-F 8:00-9:00": [(d, 8 * H, 9 * H) for d in range(5)],
    "Mon 9:00-10:00, Wed 14:00-15:00": [(0, 9 * H, 10 * H), (2, 14 * H, 15 * H)],
    "Mo/We 9.00-10.30; Fr 14-16": [(0, 540, 630), (2, 540, 630), (4, 14 * H, 16 * H)],
    "Mon, Wed 9:00-10:00": [(0, 9 * H, 10 * H), (2, 9 * H, 10 * H)],
    "Sat 10am-12pm": [(5, 10 * H, 12 * H)],
    "SaSu 10-11": [(5, 10 * H, 11 * H), (6, 10 * H, 11 * H)],
    "Thursday 23:00-24:00": [(3, 23 * H, 24 * H)],
    "MTWRF 12:00 PM - 12:50 PM": [(d, 12 * H, 12 * H + 50) for d in range(5)],
    "BY ARRANGEMENT (Online)": [],
    "TBA": [],
    "": [],
}


@pytest.mark.parametrize("text", list(SPELLINGS))
def test_registrar_spellings_are_read_exactly(text: str) -> None:
    want = sorted((d * 1440 + s, d * 1440 + e) for d, s, e in SPELLINGS[text])
    assert list(parse_meetings(text)) == want


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mathematics 9-10", "cannot read"),
        ("TueThu 11:30 - 12:45 PM", "AM or PM on both"),  # 11:30 AM or PM? never guessed
        ("Fri-Mon 9-10", "runs backwards"),
        ("Mon 10-9", "ends before it starts"),
        ("Mon 25:00-26:00", "not a time of day"),
        ("Mon 9:00-10:00 extra", "cannot read"),
        ("Tue 13:00 14:15", "cannot read"),
        ("Mon 9:00-10:00 Wed", "cannot read"),
        ("Mon 9:00-9:61", "not a time of day"),
    ],
)
def test_anything_not_fully_understood_is_refused(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_meetings(text)


meetings = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 23 * 60), st.integers(1, 120)).map(
        lambda dsl: (dsl[0] * 1440 + dsl[1], dsl[0] * 1440 + min(dsl[1] + dsl[2], 1440))
    ),
    max_size=4,
)


@given(meetings)
def test_the_canonical_text_reads_back_to_the_same_schedule(schedule: list[tuple[int, int]]) -> None:
    want = tuple(sorted(set(schedule)))
    assert parse_meetings(format_meetings(want)) == want


@given(meetings, st.sampled_from(["24h", "12h"]), st.sampled_from([" ", "", "/"]))
def test_any_schedule_written_as_a_person_would_is_read_back(
    schedule: list[tuple[int, int]], clock: str, joiner: str
) -> None:
    """Meetings grouped by time with day names joined, in 12- or 24-hour clock."""

    def write(minutes: int) -> str:
        h, m = divmod(minutes, 60)
        if clock == "24h":
            return f"{h}:{m:02d}"
        if h == 24:
            return "24:00"
        return f"{(h - 1) % 12 + 1}:{m:02d} {'AM' if h < 12 else 'PM'}"

    by_time: dict[tuple[int, int], list[int]] = {}
    for s, e in set(schedule):
        day = s // 1440
        by_time.setdefault((s - day * 1440, e - day * 1440), []).append(day)
    parts = []
    for (s, e), days in by_time.items():
        if clock == "12h" and e == 1440:
            continue  # midnight as an end has no 12-hour spelling; the 24h case covers it
        names = joiner.join(DAY_NAMES[d] for d in sorted(days))
        parts.append(f"{names} {write(s)} - {write(e)}")
    text = "; ".join(parts)
    kept = {(d * 1440 + s, d * 1440 + e) for (s, e), ds in by_time.items() for d in ds}
    if clock == "12h":
        kept = {(s, e) for s, e in kept if e % 1440 != 0}
    assert set(parse_meetings(text)) == kept


@given(st.lists(meetings, min_size=1, max_size=6))
def test_clash_sets_cover_exactly_the_clashing_pairs(schedules: list[list[tuple[int, int]]]) -> None:
    """Every set is a clique of the clash graph, and every clashing pair is inside one."""
    cliques = overlap_cliques([[(float(s), float(e)) for s, e in x] for x in schedules])

    def clash(a: int, b: int) -> bool:
        return any(max(x[0], y[0]) < min(x[1], y[1]) for x in schedules[a] for y in schedules[b])

    covered = {(a, b) for c in cliques for a, b in itertools.combinations(sorted(c), 2)}
    assert all(clash(a, b) for a, b in covered)
    every = {(a, b) for a, b in itertools.combinations(range(len(schedules)), 2) if clash(a, b)}
    assert covered == every


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_course_timetable_in_csv_never_gives_two_seats_that_meet_at_once(tmp_path: Path) -> None:
    """x wants all three; A (TueThu 13:00) and C (Thu 14:00) clash on Thursday only, B does not.

    A dated start/end could not say this: A and B share no day, C overlaps A on one day.
    """
    opps = _write(
        tmp_path,
        "o.csv",
        "opportunity_id,capacity,meetings\n"
        'A,5,"TueThu 1:00 PM - 2:15 PM"\n'
        "B,5,MWF 13:00-14:15\n"
        'C,5,"Thu 14:00-15:00"\n',
    )
    prefs = _write(tmp_path, "p.csv", "participant_id,opportunity_id,rank\nx,A,1\nx,B,2\nx,C,3\n")
    parts = _write(tmp_path, "q.csv", "participant_id,max_seats\nx,3\n")
    problem = read_problem(opportunities=opps, preferences=prefs, participants=parts)
    assert problem.clashing_pairs().tolist() == [[0, 2]]
    result = flok.allocate(problem)
    assert sorted(o for _, o in result.assignments()) == ["A", "B"]  # A is ranked above C


def test_the_json_form_takes_text_or_a_list_of_meetings() -> None:
    data = {
        "opportunities": [
            {"opportunity_id": "A", "capacity": 1, "meetings": "TueThu 13:00-14:15"},
            {
                "opportunity_id": "B",
                "capacity": 1,
                "meetings": [{"days": "Thu", "start": "14:00", "end": "15:00"}, "Fri 9:00-10:00"],
            },
            {"opportunity_id": "C", "capacity": 1, "meetings": []},
        ],
        "preferences": [
            {"participant_id": "x", "opportunity_id": o, "rank": r} for r, o in enumerate("ABC", 1)
        ],
        "participants": [{"participant_id": "x", "max_seats": 3}],
    }
    problem = Problem.from_json(json.loads(json.dumps(data)))
    assert problem.meetings is not None
    assert format_meetings(problem.meetings[1]) == "Thu 14:00-15:00; Fri 09:00-10:00"
    assert problem.clashing_pairs().tolist() == [[0, 1]]
    assert sorted(o for _, o in flok.allocate(problem).assignments()) == ["A", "C"]


@pytest.mark.parametrize(
    ("meetings", "field", "says"),
    [
        ([{"days": "Thu", "start": "14:00"}], "meetings", 'exactly "days", "start" and "end"'),
        ([{"days": "Thu", "start": "14:00", "end": "13:00"}], "meetings", "ends before it starts"),
        (5, "meetings", "expected a list of meetings"),
    ],
)
def test_bad_json_meetings_name_the_row_and_field(meetings: object, field: str, says: str) -> None:
    data = {
        "opportunities": [
            {"opportunity_id": "A", "capacity": 1},
            {"opportunity_id": "B", "capacity": 1, "meetings": meetings},
        ],
        "preferences": [{"participant_id": "x", "opportunity_id": "A", "rank": 1}],
    }
    with pytest.raises(InputError, match=says) as info:
        Problem.from_json(data)
    assert (info.value.row, info.value.field) == (2, field)


def test_a_bad_cell_is_reported_with_file_row_and_column(tmp_path: Path) -> None:
    opps = _write(
        tmp_path, "o.csv", 'opportunity_id,capacity,meetings\nA,5,Mon 9-10\nB,5,"Tue 11:30 - 12:45 PM"\n'
    )
    prefs = _write(tmp_path, "p.csv", "participant_id,opportunity_id,rank\nx,A,1\n")
    with pytest.raises(InputError) as info:
        read_problem(opportunities=opps, preferences=prefs)
    err = info.value
    assert (Path(str(err.source)).name, err.row, err.field) == ("o.csv", 3, "meetings")
    assert "AM or PM on both" in err.message


def test_weekly_meetings_and_dated_windows_in_one_problem_are_refused(tmp_path: Path) -> None:
    opps = _write(
        tmp_path,
        "o.csv",
        "opportunity_id,capacity,start,end,meetings\n"
        "A,5,2026-01-05T09:00,2026-01-05T10:00,\n"
        "B,5,,,Mon 9:00-10:00\n",
    )
    prefs = _write(tmp_path, "p.csv", "participant_id,opportunity_id,rank\nx,A,1\n")
    with pytest.raises(InputError, match="cannot be compared") as info:
        read_problem(opportunities=opps, preferences=prefs)
    assert (info.value.row, info.value.field) == (3, "meetings")


def test_a_near_miss_of_the_column_name_is_an_error_not_a_lost_rule(tmp_path: Path) -> None:
    opps = _write(tmp_path, "o.csv", "opportunity_id,capacity,meeting\nA,5,Mon 9-10\n")
    prefs = _write(tmp_path, "p.csv", "participant_id,opportunity_id,rank\nx,A,1\n")
    with pytest.raises(InputError, match="meetings"):
        read_problem(opportunities=opps, preferences=prefs)


def test_library_arrays_take_minute_pairs_or_text() -> None:
    problem = Problem.from_arrays(
        opportunity_ids=["A", "B"],
        capacity=[1, 1],
        pref_participant=[0, 0],
        pref_opportunity=[0, 1],
        rank=[1, 2],
        max_seats=[2],
        meetings=[[(600, 660)], "Mon 10:30-11:30"],
    )
    assert problem.clashing_pairs().tolist() == [[0, 1]]
    with pytest.raises(InputError, match="one weekday"):
        Problem.from_arrays(
            opportunity_ids=["A"],
            capacity=[1],
            pref_participant=[0],
            pref_opportunity=[0],
            rank=[1],
            meetings=[[(1430, 1450)]],
        )


def test_clash_rows_are_one_per_instant_not_one_per_pair() -> None:
    """Ten sections at the same hour: one row per person says "at most one", not 45 pair rows."""
    m = 10
    problem = Problem.from_arrays(
        opportunity_ids=[f"S{k}" for k in range(m)],
        capacity=[1] * m,
        pref_participant=[0] * m,
        pref_opportunity=list(range(m)),
        rank=list(range(1, m + 1)),
        max_seats=[3],
        meetings=["MWF 9:00-9:50"] * m,
    )
    model = build(problem, pairs_of(problem))
    clash_rows = [r for r in model.rows if r.idx.size == m and r.hi == 1]
    assert len(clash_rows) == 1
    assert np.array_equal(flok.allocate(problem).opportunity, [0])


def test_days_written_together_are_all_read() -> None:
    """ "TueSat" once read as "Tues" + "at" (Tuesday twice): Saturday was silently dropped."""
    assert parse_meetings("TueSat 0:00 - 0:01") == ((1440, 1441), (7200, 7201))
    assert parse_meetings("TuesSat 9:00-10:00") == ((1980, 2040), (7740, 7800))
    assert parse_meetings("ThuSat 8-9") == parse_meetings("Thu/Sat 8-9")


def test_a_chain_of_day_ranges_names_the_whole_days_part() -> None:
    """'Tues-Thurs-Fri' can only be read with a backwards range inside ('s-Fri'): the error quotes
    the days as written, so the user sees which cell part it is about."""
    with pytest.raises(ValueError, match=r"in 'Tues-Thurs-Fri'.*runs backwards"):
        parse_meetings("Tues-Thurs-Fri 13:00-14:15")
