"""Time wishes as people type them ("Mon-Wed evenings", "Weekends", "Varies") → sets of day × part cells.

A set is a 21-bit mask: bit ``day * 3 + part`` (Monday = 0, morning = 0, afternoon = 1, evening = 2),
so "does this person accept that meeting time" is one ``&``.
"""

from __future__ import annotations

import re

from flok.errors import InputError

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTS = ("Morning", "Afternoon", "Evening")
N_CELLS = len(DAYS) * len(PARTS)
ALL = (1 << N_CELLS) - 1

_DAY_WORDS: dict[str, tuple[int, ...]] = {}
for _i, _name in enumerate(DAYS):
    _low = _name.lower()
    for _w in {_low, _low + "s", _low[:3], _low[:3] + "s"}:
        _DAY_WORDS[_w] = (_i,)
_DAY_WORDS.update(
    {
        "tues": (1,),
        "weds": (2,),
        "thur": (3,),
        "thurs": (3,),
        "thu": (3,),
        # Registrar-style abbreviations ("M-Th", "Tu/Th"); lone "t" and "s" are ambiguous, refused.
        "m": (0,),
        "mo": (0,),
        "tu": (1,),
        "w": (2,),
        "we": (2,),
        "th": (3,),
        "r": (3,),
        "f": (4,),
        "fr": (4,),
        "sa": (5,),
        "su": (6,),
        "weekday": (0, 1, 2, 3, 4),
        "weekdays": (0, 1, 2, 3, 4),
        "weekend": (5, 6),
        "weekends": (5, 6),
        "daily": tuple(range(7)),
        "everyday": tuple(range(7)),
    }
)
_PART_WORDS: dict[str, tuple[int, ...]] = {
    "morning": (0,),
    "mornings": (0,),
    "am": (0,),
    "breakfast": (0,),
    "afternoon": (1,),
    "afternoons": (1,),
    "midday": (1,),
    "lunch": (1,),
    "lunchtime": (1,),
    "noon": (1,),
    "evening": (2,),
    "evenings": (2,),
    "night": (2,),
    "nights": (2,),
    "daytime": (0, 1),
}
# Words that name days and a part together.
_BOTH: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "weeknight": ((0, 1, 2, 3, 4), (2,)),
    "weeknights": ((0, 1, 2, 3, 4), (2,)),
}
_ANY = {
    "varies",
    "vary",
    "any",
    "anytime",
    "any time",
    "any day",
    "flexible",
    "all",
    "either",
    "open",
    "whenever",
    "no preference",
}
_FILLER = {
    "and",
    "on",
    "the",
    "only",
    "early",
    "late",
    "a",
    "also",
    "both",
    "plus",
    "in",
    "at",
    "&",
    ",",
    "/",
    "+",
}
_RANGE = {"-", "–", "—", "to", "through", "thru", "till", "until"}
_TOKEN = re.compile(r"[a-z]+|[-–—/,&+]")


class TimeParseError(InputError):
    """A time wish that matches no known spelling; carries the offending word. An InputError, so an
    entry layer renders it like any bad input (the roster re-raises it with file, row and field)."""


_CLOCK = re.compile(
    r"\b(after|from|past|before|until|till)\s+(?:(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?|(noon|midday))(?!\w)"
)
# A part of day as a nominal meeting window (24-hour clock), to read "after 6pm" or "before noon".
_PART_HOURS = ((9, 12), (13, 17), (18, 21))


def parse_time(text: str) -> int:
    """Parse one time wish into a cell mask; 0 means the field is empty (no wish).

    Clauses separated by ``,``, ``;`` or ``or`` (outside brackets) are read each on its own and
    their union taken: "Weekends or weekday evenings" and "Weekday evenings or weekends" mean the
    same. Within a clause, days and parts of day combine ("Mon and Wed evenings", "Evenings
    (M-Th)"). A word not in the vocabulary is an error naming it, never skipped.
    """
    low = " ".join(text.lower().replace("_", " ").split())
    if not low:
        return 0
    if low.rstrip(".!") in _ANY:
        return ALL
    mask = 0
    for clause in _clauses(low):
        mask |= _parse_clause(clause)
    if not mask:
        raise TimeParseError("names no day or part of day")
    return mask


def _clauses(text: str) -> list[str]:
    """``text`` split at ``,``/``;``/``|``/``or`` outside brackets ("Evenings (Mon, Wed)" is one)."""
    out, depth, start = [], 0, 0
    for m in re.finditer(r"[()\[\]]|[,;|]|\bor\b", text):
        tok = m.group(0)
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(text[start : m.start()])
            start = m.end()
    out.append(text[start:])
    return [c.strip() for c in out if c.strip(" .()[]")]


def _clock_words(clause: str) -> str:
    """ "after 6pm" -> "evening", "before noon" -> "morning": parts whose nominal window fits."""

    def word(m: re.Match[str]) -> str:
        if m.group(5):
            hour = 12
        else:
            half = (m.group(4) or "").replace(".", "")
            hour = int(m.group(2)) % 12 + (12 if half == "pm" else 0)
            if not half and hour < 8:
                hour += 12  # "after 6" in a meeting-time answer is 6 pm
        after = m.group(1) in ("after", "from", "past")
        fits = [p for p, (a, b) in enumerate(_PART_HOURS) if (a >= hour if after else b <= hour)]
        if not fits:
            raise TimeParseError(f"no part of day is '{m.group(0)}'")
        return " ".join(PARTS[p].lower() for p in fits)

    return _CLOCK.sub(word, clause)


def _parse_clause(clause: str) -> int:
    """One clause: days (and ranges) × parts of day; a day after days-and-parts starts a new group."""
    low = _clock_words(clause.replace("(", " ").replace(")", " ").replace("[", " ").replace("]", " "))
    tokens = _TOKEN.findall(low)
    leftovers = _TOKEN.sub(" ", low).strip(" .;:")
    if leftovers:
        raise TimeParseError(f"unexpected text '{leftovers}'")
    if " ".join(tokens) in _ANY:
        return ALL
    groups: list[tuple[set[int], set[int]]] = []
    days: set[int] = set()
    parts: set[int] = set()
    parts_first = False  # "Evenings (Mon, Wed)": the part leads, every day after it shares it
    pending_range: int | None = None
    last_day: int | None = None
    for tok in tokens:
        if tok in _RANGE:
            if last_day is None:
                raise TimeParseError(f"range '{tok}' without a day before it")
            pending_range = last_day
            continue
        if tok in _FILLER:
            continue
        if tok in _DAY_WORDS or tok in _BOTH:
            new_days, new_parts = _BOTH.get(tok, (_DAY_WORDS.get(tok, ()), ()))
            if days and parts and not parts_first and pending_range is None:
                groups.append((days, parts))  # "weekday evenings and weekends": a new group
                days, parts = set(), set()
            if pending_range is not None:
                if len(new_days) != 1:
                    raise TimeParseError(f"cannot make a range ending in '{tok}'")
                days |= _day_range(pending_range, new_days[0])
                pending_range = None
            else:
                days |= set(new_days)
            parts |= set(new_parts)
            last_day = new_days[0] if len(new_days) == 1 else None
            continue
        if tok in _PART_WORDS:
            parts_first = parts_first or not days
            parts |= set(_PART_WORDS[tok])
            last_day = None
            continue
        if tok in _ANY:
            days |= set(range(7))
            continue
        raise TimeParseError(f"unknown word '{tok}'")
    if pending_range is not None:
        raise TimeParseError("range without an end day")
    groups.append((days, parts))
    mask = 0
    for d, p in groups:
        if not d and not p:
            continue
        for day in d or range(7):
            for part in p or range(3):
                mask |= 1 << (day * 3 + part)
    return mask


def _day_range(start: int, end: int) -> set[int]:
    """Inclusive, wrapping: Fri-Mon is Fri, Sat, Sun, Mon."""
    span = (end - start) % 7
    return {(start + k) % 7 for k in range(span + 1)}


def cells(mask: int) -> list[int]:
    return [c for c in range(N_CELLS) if mask >> c & 1]


def cell_name(cell: int) -> str:
    return f"{DAYS[cell // 3]} {PARTS[cell % 3]}"


def describe(mask: int) -> str:
    """A readable form of a mask, for reports and tests."""
    if mask == ALL:
        return "any time"
    return ", ".join(cell_name(c) for c in cells(mask))
