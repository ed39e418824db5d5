"""How many newcomers an existing circle may take, from its co-leaders' survey answers.

The survey asks each current co-leader "Max New Members": answers such as "None", "0", "2",
"Up to 3", "No limit" or nothing. A circle's limit is decided in this order:

1. ``max_additions`` in circles.csv, when the cell is filled: staff wrote it, so it stands
   (a warning says when co-leaders answered otherwise);
2. else the **smallest** answer among the circle's current co-leaders who continue in it: every
   co-leader must agree to a newcomer, so "None" (or 0) from any of them closes the circle, and
   "No limit" means up to ``max_size`` members in all; answers from members who are not current
   co-leaders of that circle are ignored (counted in a warning);
3. else nobody said anything: in ``preserve`` mode the circle stays as it is (0); in ``optimize``
   mode it may grow to ``max_size`` members, as the seed tool filled silent circles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from flok.circles.options import CircleOptions

NO_LIMIT = -1
Member = tuple[str, str, bool, int | None]  # status, current circle, current co-leader, answer
_NONE = {"none", "no", "zero", "no new members", "no one", "nobody", "closed", "full", "not accepting"}
_UNANSWERED = {"", "n/a", "na", "-", "tbd", "not applicable"}
_ANY = {"no limit", "unlimited", "any", "any number", "as many as possible"}
_NUMBER = re.compile(
    r"^(?:up to|max(?:imum)?|at most|no more than)?\s*(\d+)\s*(?:new)?\s*(?:members?|people|persons?)?$"
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def parse_max_new(raw: str) -> int | None:
    """A "Max New Members" answer: a number ≥ 0, NO_LIMIT, or None (not answered).

    Raises ValueError for anything else, which the roster reports with its row and column.
    """
    text = " ".join(raw.casefold().replace(".", " ").split())
    if text in _UNANSWERED:
        return None
    if text in _NONE:
        return 0
    if text in _ANY:
        return NO_LIMIT
    found = _NUMBER.match(text)
    if found:
        return int(found.group(1))
    word = re.sub(r"^(?:up to|max(?:imum)?|at most)\s+", "", text)
    if word in _WORDS:
        return _WORDS[word]
    raise ValueError(f"expected a number, 'None' or 'No limit', got '{raw}'")


def circle_limits(
    circle_ids: Collection[str],
    members: Iterable[Member],
    staff: Mapping[str, int | None],
    options: CircleOptions,
) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Each circle's ``max_additions`` and where it came from ("circles file", "co-leaders" or
    "default"), and the warnings. ``members`` are (status, current circle, is a current co-leader,
    "Max New Members" answer) of every participant."""
    stays: Counter[str] = Counter()
    answers: dict[str, list[int]] = {}
    ignored = 0
    for status, circle, co_leader, max_new in members:
        if status == "CONTINUING" and circle:
            stays[circle] += 1
        if max_new is None:
            continue
        if status == "CONTINUING" and co_leader and circle in circle_ids:
            answers.setdefault(circle, []).append(max_new)
        else:
            ignored += 1
    out: dict[str, tuple[int, str]] = {}
    warnings: list[str] = []
    for cid in circle_ids:
        room = max(0, options.max_size - stays[cid])
        said = [room if a == NO_LIMIT else a for a in answers.get(cid, [])]
        given = staff.get(cid)
        if given is not None:
            out[cid] = (given, "circles file")
            if said and min(said) != given:
                warnings.append(
                    f"circle {cid}: circles file says {given} newcomers, its co-leaders said {min(said)}; "
                    "the circles file is used"
                )
        elif said:
            out[cid] = (min(said), "co-leaders")
        else:
            out[cid] = (room if options.mode == "optimize" else 0, "default")
    if ignored:
        warnings.append(
            f"{ignored} 'max new members' answers ignored: only the current co-leaders of a continuing "
            "circle decide how many newcomers it takes"
        )
    return out, warnings
