"""An independent check of any formation against the rules, re-derived from the inputs.

It shares no logic with the model: it re-reads meeting times from the output strings and counts
hosts and sizes itself, so a bug in candidates, formation or split shows up here.
"""

from __future__ import annotations

import re

from flok.circles.codes import time_zone_code
from flok.circles.places import location_key
from flok.circles.result import CircleResult, FormedCircle
from flok.circles.roster import ALWAYS, SOMETIMES, Participant
from flok.circles.timeslots import TimeParseError, parse_time

_NEW_ID = re.compile(r"^(IP|VO)-[A-Z0-9-]+-NEW-\d{2,}$")


def violations(result: CircleResult) -> list[str]:
    """Every broken rule, in words; an empty list means the formation is valid."""
    out: list[str] = []
    opts = result.options
    people = {p.pid: p for p in result.people}
    seen: dict[str, str] = {}
    for c in result.circles:
        for p in c.members:
            if p.pid in seen:
                out.append(f"{p.pid} is in {seen[p.pid]} and {c.circle_id}")
            seen[p.pid] = c.circle_id
            if p.pid not in people:
                out.append(f"{c.circle_id} holds unknown participant {p.pid}")
            if p.status == "MOVING_OUT":
                out.append(f"{p.pid} is moving out but placed in {c.circle_id}")
        if c.new:
            out += _check_new(c, opts.min_size, opts.max_size)
        else:
            out += _check_existing(result, c)
    unmatched = {u.pid for u in result.unmatched}
    for pid, p in people.items():
        if (pid in seen) == (pid in unmatched):
            out.append(f"{pid} must be either placed or listed as unmatched (exactly one)")
        if (
            opts.mode != "dissolve"
            and p.status == "CONTINUING"
            and p.current_circle in result.existing
            and seen.get(pid) != p.current_circle
        ):
            out.append(f"continuing member {pid} left circle {p.current_circle} in {opts.mode} mode")
    return out


def _shared(virtual: bool, location: str) -> bool:
    return virtual and time_zone_code(location) is not None


def _accepts(p: Participant, location: str, meeting_time: str) -> bool:
    try:
        mask = parse_time(meeting_time)
    except TimeParseError:
        return False
    wish = 0
    for t in p.times:
        wish |= t
    return location_key(location) in p.locations and bool(wish & mask)


def _check_new(c: FormedCircle, lo: int, hi: int) -> list[str]:
    out = []
    cid, members = c.circle_id, list(c.members)
    if not _NEW_ID.match(cid):
        out.append(f"new circle id {cid} does not follow {{IP|VO}}-{{REGION}}-NEW-{{NN}}")
    if not lo <= len(members) <= hi:
        out.append(f"{cid} has {len(members)} members, outside {lo}-{hi}")
    always = sum(p.host == ALWAYS for p in members)
    sometimes = sum(p.host == SOMETIMES for p in members)
    if always < 1 and sometimes < 2:
        out.append(f"{cid} has no host set (always={always}, sometimes={sometimes})")
    # A virtual circle at a location naming a time zone may hold several regions, listed in its
    # region as "A + B"; any other circle holds only its own region's people.
    regions = c.region.split(" + ") if _shared(c.virtual, c.location) else [c.region]
    for p in members:
        if p.region not in regions:
            out.append(f"{p.pid} from region {p.region} placed in {cid}")
        if not _accepts(p, c.location, c.meeting_time):
            out.append(f"{p.pid} does not accept the location or time of {cid}")
    return out


def _check_existing(result: CircleResult, c: FormedCircle) -> list[str]:
    cid = c.circle_id
    opts = result.options
    if opts.mode == "dissolve":
        return [f"existing circle {cid} used in dissolve mode"]
    circle = result.existing.get(cid)
    if circle is None:
        return [f"{cid} is neither new nor an existing circle"]
    newcomers = [p for p in c.members if not (p.status == "CONTINUING" and p.current_circle == cid)]
    out = []
    limit = circle.max_additions
    if len(newcomers) > limit:
        out.append(f"{cid} took {len(newcomers)} newcomers, over its limit of {limit} in {opts.mode} mode")
    for p in newcomers:
        if p.region != circle.region and not _shared(circle.virtual, c.location):
            out.append(f"{p.pid} from region {p.region} joined {cid} in {circle.region}")
        if not _accepts(p, circle.location, circle.meeting_time):
            out.append(f"{p.pid} does not accept the location or time of {cid}")
    return out
