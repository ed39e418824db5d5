"""Weekly timetables: when an opportunity meets, and which opportunities meet at the same time.

A course section meets on several days ("TueThu 13:00-14:15", "MWF 9:00-9:50"); one dated
start/end cannot say that. A weekly schedule is a set of meetings, each held as minutes since
Monday 00:00 (``[start, end)``, so 9:00–9:50 and 9:50–10:40 do not clash). Two opportunities
clash when any meeting of one overlaps any meeting of the other, which is exact for schedules
that repeat every week of a term.

The written form (one ``meetings`` cell, or a JSON string or list) is documented in
docs/side-constraints.md: meetings separated by ``;`` (or ``,`` between complete meetings), each
``DAYS START-END``. Days are names or the registrar codes people export (``Mon``, ``Tuesday``,
``TuTh``, ``MWF``, ``TR``, ``M-F``); times use the 24-hour clock or say AM/PM on both ends.
Anything not fully understood is refused with what was expected: a misread timetable would
silently allow clashes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

Meeting = tuple[int, int]
"""One weekly meeting: [start, end) in minutes since Monday 00:00."""
Schedule = tuple[Meeting, ...]

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Longest spelling first: Python's alternation takes the first that matches, so "Thu" is never
# read as "Th" + "U" (Sunday), nor "Sa" as "S" + "a". One letter: M T W R(Thu) F S(Sat) U(Sun).
_SPELLINGS: tuple[tuple[str, int], ...] = tuple(
    sorted(
        {
            **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday"))},
            **{"friday": 4, "saturday": 5, "sunday": 6},
            **{"tues": 1, "thurs": 3, "thur": 3, "weds": 2},
            **{name.lower(): i for i, name in enumerate(DAY_NAMES)},
            **{"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6},
            **{"m": 0, "t": 1, "w": 2, "r": 3, "f": 4, "s": 5, "u": 6},
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
)
_DAY_OF = dict(_SPELLINGS)
_DAY = "(?:" + "|".join(name for name, _ in _SPELLINGS) + ")"
_RANGE = r"\s*(?:-|–|—|\bto\b)\s*"
_DAY_ITEM = f"{_DAY}(?:{_RANGE}{_DAY})?"
_DAYS = rf"{_DAY_ITEM}(?:\s*[,/&+]?\s*{_DAY_ITEM})*"
_TIME = r"\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?\s*m\.?)?"
_MEETING = re.compile(
    rf"(?P<days>{_DAYS})\s*,?\s*(?P<start>{_TIME}){_RANGE}(?P<end>{_TIME})(?![\w:.])", re.IGNORECASE
)
_RANGE_RE = re.compile(_RANGE, re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*[,/&+]?\s*")
_BETWEEN = re.compile(r"\s*(?:,|\band\b)?\s*", re.IGNORECASE)
_UNTIMED = {"", "tba", "tbd", "tbc", "by arrangement", "arranged", "arr"}
"""Cells that say "no fixed time" in registrar exports: such an opportunity never clashes."""
_NOTE = re.compile(r"\s*\([^()]*\)\s*$")

FORM = "'TueThu 13:00-14:15' or 'MWF 9:00 AM - 9:50 AM; Fri 14:00-16:00'"


def parse_meetings(text: str) -> Schedule:
    """A ``meetings`` cell as sorted weekly meetings; ValueError says what was not understood.

    Empty, "TBA" or "by arrangement" (with or without a note in brackets) mean no fixed time.
    """
    cleaned = text.strip()
    if _NOTE.sub("", cleaned).strip().lower() in _UNTIMED:
        return ()
    out: list[Meeting] = []
    for chunk in re.split(r"[;\n]", cleaned):
        if chunk.strip():
            out.extend(_parse_chunk(chunk.strip()))
    return tuple(sorted(set(out)))


def _parse_chunk(chunk: str) -> list[Meeting]:
    """Meetings of one ``;``-separated part: whole meetings, separated by "," or "and" only."""
    out: list[Meeting] = []
    pos = 0
    for found in _MEETING.finditer(chunk):
        if not _BETWEEN.fullmatch(chunk, pos, found.start()):
            break
        start, end = _minutes(found["start"], found["end"], found.group(0))
        for day in _days(found["days"]):
            out.append((day * DAY_MINUTES + start, day * DAY_MINUTES + end))
        pos = found.end()
    if not out or not _BETWEEN.fullmatch(chunk, pos):
        raise ValueError(f"cannot read '{chunk}' as weekly meetings such as {FORM}")
    return out


def _days(text: str) -> list[int]:
    """Day numbers (Mon = 0) of a days part; a range such as Mon-Fri includes both ends.

    The part is read whole, as `_MEETING` matched it: reading one longest spelling after the
    other would take "TueSat" as "Tues" + "at" and lose Saturday, so a spelling that leaves the
    rest unreadable is given up for a shorter one (memoized, so a long part stays cheap).
    """
    items = _day_items(text.strip(), 0, {})
    if items is None:  # cannot happen for text _MEETING matched; say so rather than drop days
        raise ValueError(f"cannot read the days '{text}'")
    days: list[int] = []
    for a, b, item in items:
        if b < a:  # name the whole days part too: 'Tues-Thurs-Fri' can only be read as ... 's-Fri'
            where = "" if item.strip() == text.strip() else f" (in '{text.strip()}')"
            raise ValueError(f"day range '{item}'{where} runs backwards; write it Monday first")
        days.extend(range(a, b + 1))
    return days


def _spellings_at(text: str, pos: int) -> list[tuple[int, int]]:
    """(end, day) of every day spelling that starts at ``pos``, longest first."""
    low = text.lower()
    return [(pos + len(name), day) for name, day in _SPELLINGS if low.startswith(name, pos)]


def _day_items(text: str, pos: int, failed: dict[int, bool]) -> list[tuple[int, int, str]] | None:
    """Day items (first day, last day, as written) reading ``text`` from ``pos`` to its end, or
    None when no way of reading it works; ``failed`` remembers positions that lead nowhere."""
    if pos == len(text):
        return []
    if failed.get(pos):
        return None
    for end, first in _spellings_at(text, pos):
        choices = []
        dash = _RANGE_RE.match(text, end)
        if dash:
            choices += [(stop, first, last) for stop, last in _spellings_at(text, dash.end())]
        choices.append((end, first, first))
        for stop, a, b in choices:
            after = _SEPARATOR.match(text, stop)  # may be empty: "TueThu"
            if stop == len(text):
                rest: list[tuple[int, int, str]] | None = []
            else:
                rest = _day_items(text, after.end(), failed) if after else None
            if rest is not None:
                return [(a, b, text[pos:stop]), *rest]
    failed[pos] = True
    return None


def _minutes(start: str, end: str, meeting: str) -> tuple[int, int]:
    """Start and end as minutes after midnight; AM/PM on both ends or on neither."""
    half = [bool(re.search(r"[ap]\.?\s*m\.?$", t.strip(), re.IGNORECASE)) for t in (start, end)]
    if half[0] != half[1]:
        raise ValueError(
            f"'{meeting}': say AM or PM on both times (or use the 24-hour clock): "
            "'11:30 - 12:45 PM' could start at 11:30 AM or PM"
        )
    s, e = _clock(start, half[0], meeting), _clock(end, half[1], meeting, end=True)
    if e <= s:
        raise ValueError(f"'{meeting}': ends before it starts (overnight meetings are not supported)")
    return s, e


def _clock(text: str, twelve_hour: bool, meeting: str, *, end: bool = False) -> int:
    """One time of day in minutes, read by ``datetime.strptime`` (24:00 is the end of the day)."""
    t = re.sub(r"\s+", "", text).replace(".", ":").lower()
    if twelve_hour:
        t = re.sub(r":?([ap]):?m:?$", r"\1m", t)
    if end and t in ("24", "24:00"):
        return DAY_MINUTES
    formats = ("%I:%M%p", "%I%p") if twelve_hour else ("%H:%M", "%H")
    for fmt in formats:
        try:
            parsed = datetime.strptime(t, fmt)
        except ValueError:
            continue
        return parsed.hour * 60 + parsed.minute
    raise ValueError(f"'{meeting}': '{text.strip()}' is not a time of day")


def meetings_text(value: Any) -> str:
    """The JSON form (a string, or a list of strings or ``{"days", "start", "end"}`` objects) as text.

    Lists become one ``;``-separated cell, so JSON and CSV are read by the same parser.
    """
    if value is None or isinstance(value, str):
        return value or ""
    if not isinstance(value, Sequence):
        raise ValueError(f"expected a list of meetings or a text such as {FORM}")
    parts = []
    for item in value:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, Mapping):
            keys = {str(k).lower() for k in item}
            days_key = "days" if "days" in keys else "day"
            if keys != {days_key, "start", "end"}:
                raise ValueError('each meeting object needs exactly "days", "start" and "end"')
            low = {str(k).lower(): v for k, v in item.items()}
            parts.append(f"{low[days_key]} {low['start']}-{low['end']}")
        else:
            raise ValueError(f"expected a list of meetings or a text such as {FORM}")
    return ";".join(parts)


def format_meetings(schedule: Schedule) -> str:
    """The canonical text of a schedule (24-hour clock), which :func:`parse_meetings` reads back."""

    def clock(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    parts = []
    for s, e in schedule:
        day = s // DAY_MINUTES
        parts.append(f"{DAY_NAMES[day]} {clock(s - day * DAY_MINUTES)}-{clock(e - day * DAY_MINUTES)}")
    return "; ".join(parts)


def check_schedule(schedule: Sequence[Sequence[int]]) -> Schedule:
    """Meetings given as minute pairs (the library's array form), checked and sorted."""
    out = []
    for meeting in schedule:
        s, e = (int(v) for v in meeting)
        if not 0 <= s < e or s // DAY_MINUTES != (e - 1) // DAY_MINUTES or e > WEEK_MINUTES:
            raise ValueError(f"meeting {list(meeting)} is not [start, end) minutes within one weekday")
        out.append((s, e))
    return tuple(sorted(set(out)))


def overlap_cliques(windows: Sequence[Sequence[tuple[float, float]]]) -> list[list[int]]:
    """Sets of 2+ opportunities that meet at one instant, one per instant where a meeting starts.

    ``windows[o]`` holds opportunity o's ``[start, end)`` intervals (weekly meetings or one dated
    window). Every set is a clique of the clash graph (all its members meet at that instant),
    and every clashing pair lies in one: two overlapping intervals both cover the later start.
    So "at most one seat per set" is exactly "no two clashing seats", in far fewer and tighter
    rows than one per pair.
    """
    events = sorted((s, e, o) for o, spans in enumerate(windows) for s, e in spans)
    active: list[tuple[float, int]] = []
    sets: dict[tuple[int, ...], None] = {}
    k = 0
    while k < len(events):
        t = events[k][0]
        while k < len(events) and events[k][0] == t:
            active.append((events[k][1], events[k][2]))
            k += 1
        active = [(e, o) for e, o in active if e > t]
        here = tuple(sorted({o for _, o in active}))
        if len(here) >= 2:
            sets[here] = None
    return [list(c) for c in sets]
