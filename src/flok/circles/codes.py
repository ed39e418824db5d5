"""Circle ids as alumni offices write them: ``IP-<REGION_CODE>-NEW-01``, ``VO-<TIME_ZONE>-NEW-01``.

A new circle's id should line up with the existing ones (a new San Francisco circle next to
``IP-SFO-01`` is ``IP-SFO-NEW-01``), so the code of a region or of a virtual location is found,
in this order:

1. the user's mapping (``--region-code "San Francisco=SFO"``, names matched like places are);
2. the code existing circles already use there (``IP-SFO-01`` in region San Francisco gives SFO;
   ``VO-PST-02`` at "Virtual - Pacific Time" gives PST);
3. for a virtual location, the time zone it names ("Pacific" → PST, or a code in brackets);
4. the name itself in capitals (``IP-NEW-YORK-NEW-01``), so an id is always made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from flok.circles.places import location_key
from flok.errors import InputError

CODE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
_EXISTING_ID = re.compile(r"^(IP|VO)-([A-Z0-9]+(?:-[A-Z0-9]+)*?)-(?:NEW-)?\d+$")
# Words a virtual location uses for its time zone, most specific first.
TIME_ZONES: tuple[tuple[str, str], ...] = (
    ("central europe", "CET"),
    ("central european", "CET"),
    ("australian eastern", "AEST"),
    ("pacific", "PST"),
    ("mountain", "MST"),
    ("central", "CST"),
    ("eastern", "EST"),
    ("atlantic", "AST"),
    ("hawaii", "HST"),
    ("alaska", "AKST"),
    ("greenwich", "GMT"),
    ("gmt", "GMT"),
    ("utc", "UTC"),
    ("cet", "CET"),
    ("singapore", "SGT"),
    ("india", "IST"),
    ("japan", "JST"),
)
_BRACKETED = re.compile(r"\(([A-Z]{2,5})\)")


def slug(name: str) -> str:
    """A name in capitals with every other character run made one dash ("New York" → NEW-YORK)."""
    return re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-") or "REGION"


def normalize_codes(codes: Mapping[str, str]) -> dict[str, str]:
    """The user's ``name → code`` mapping keyed like places; a code must be capitals, digits, dashes."""
    out: dict[str, str] = {}
    for name, code in codes.items():
        clean = code.strip().upper()
        if not CODE.match(clean):
            raise InputError(
                f"region code for '{name}' must be letters, digits and dashes, got '{code}'",
                field="region_codes",
            )
        out[location_key(name)] = clean
    return out


def existing_code(circle_ids: Iterable[str], prefix: str) -> str | None:
    """The code most of these existing ids use after ``prefix`` (IP or VO), if any parses."""
    found = Counter(
        m.group(2)
        for cid in circle_ids
        if (m := _EXISTING_ID.match(cid.strip().upper())) and m.group(1) == prefix
    )
    return found.most_common(1)[0][0] if found else None


def time_zone_code(location: str) -> str | None:
    """The time zone a virtual location names ("Virtual – Pacific Time" → PST), if any."""
    key = location_key(location)
    for words, code in TIME_ZONES:
        if re.search(rf"\b{words}\b", key):
            return code
    bracketed = _BRACKETED.search(location)
    return bracketed.group(1) if bracketed else None


class Namer:
    """New circle ids for one run: ``{IP|VO}-{CODE}-NEW-{NN}``, numbered per prefix, never an id
    an existing circle uses."""

    def __init__(self, codes: Mapping[str, str], existing: Iterable[tuple[str, str, str, bool]]) -> None:
        """``codes``: the user's name → code mapping; ``existing``: (circle id, region, location
        key, virtual) of every existing circle."""
        self._codes = normalize_codes(codes)
        self._existing = list(existing)
        self._taken = {cid for cid, *_ in self._existing}
        self._counter: dict[str, int] = {}

    def code(self, virtual: bool, region: str, location: str) -> str:
        """The code of a region (in-person) or of a virtual location (its time zone)."""
        if virtual:
            key = location_key(location)
            return (
                self._codes.get(key)
                or existing_code((c for c, _, loc, v in self._existing if v and loc == key), "VO")
                or time_zone_code(location)
                or self._codes.get(location_key(region))
                or slug(region)
            )
        return (
            self._codes.get(location_key(region))
            or existing_code((c for c, r, _, v in self._existing if not v and r == region), "IP")
            or slug(region)
        )

    def new_id(self, virtual: bool, region: str, location: str) -> str:
        prefix = f"{'VO' if virtual else 'IP'}-{self.code(virtual, region, location)}-NEW"
        while True:
            self._counter[prefix] = self._counter.get(prefix, 0) + 1
            cid = f"{prefix}-{self._counter[prefix]:02d}"
            if cid not in self._taken:
                self._taken.add(cid)
                return cid
