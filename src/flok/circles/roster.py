"""The circle roster: validated participants and existing circles, made from string tables.

Data in, data out: the tables come from wherever the caller got them (`flok.io.circles` reads files,
the dashboard parses uploads); every bad value raises InputError naming its source, row and field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from flok.circles.options import CircleOptions
from flok.circles.timeslots import TimeParseError, parse_time
from flok.errors import InputError
from flok.table import Table

NEVER, SOMETIMES, ALWAYS = 0, 1, 2
STATUSES = ("NEW", "CONTINUING", "MOVING_OUT", "WAITLIST")
_STATUS_ALIASES = {
    "NEW": "NEW",
    "NEW_MEMBER": "NEW",
    "CONTINUING": "CONTINUING",
    "CURRENT_CONTINUING": "CONTINUING",
    "CURRENT": "CONTINUING",
    "RETURNING": "CONTINUING",
    "MOVING_OUT": "MOVING_OUT",
    "MOVINGOUT": "MOVING_OUT",
    "CURRENT_MOVING_OUT": "MOVING_OUT",
    "LEAVING": "MOVING_OUT",
    "WAITLIST": "WAITLIST",
    "WAIT_LIST": "WAITLIST",
    "WAITLISTED": "WAITLIST",
    "REQUEST": "WAITLIST",
}
_HOST = {
    "always": ALWAYS,
    "yes": ALWAYS,
    "sometimes": SOMETIMES,
    "maybe": SOMETIMES,
    "occasionally": SOMETIMES,
    "never": NEVER,
    "no": NEVER,
    "": NEVER,
}
_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


@dataclass(frozen=True)
class Participant:
    """One participant row, validated; ``locations`` are location keys in rank order."""

    index: int
    pid: str
    row: int
    status: str
    current_circle: str
    region: str
    locations: tuple[str, ...]
    times: tuple[int, ...]  # cell masks in rank order (0 = empty wish)
    host: int
    co_lead: bool | None  # None: did not say
    current_co_leader: bool
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class ExistingCircle:
    circle_id: str
    region: str
    location: str  # location key ('' when unknown)
    meeting_time: str  # as written
    mask: int  # cells of the meeting time (0 when unknown)
    max_additions: int
    virtual: bool
    row: int | None


@dataclass(frozen=True)
class TimeIssue:
    """An unparseable time wish, kept so the report can name it (lenient mode)."""

    source: str
    row: int
    field: str
    value: str
    message: str


@dataclass(frozen=True)
class Roster:
    people: list[Participant]
    circles: dict[str, ExistingCircle]
    location_names: dict[str, str]  # key → display form as first written
    issues: list[TimeIssue]
    warnings: list[str]


def location_key(text: str) -> str:
    return " ".join(text.casefold().split())


def canonical(spellings: dict[str, str], text: str) -> str:
    """The first spelling seen of a name that differs only in case or spacing ("bay area ")."""
    return spellings.setdefault(location_key(text), " ".join(text.split()))


def apply_mapping(table: Table, mapping: Mapping[str, str]) -> Table:
    """Rename file headers to canonical names so any export can be read without editing it."""
    if not mapping:
        return table
    cols = dict(table.columns)
    for canonical, header in mapping.items():
        src, dst = header.strip().lower(), canonical.strip().lower()
        if src == dst:
            continue
        if src not in cols:
            raise InputError(
                f"column mapping names '{header}' for '{canonical}', but the file has no such column",
                source=table.source,
                row=1,
                field=header,
            )
        cols[dst] = cols.pop(src)
    return Table(source=table.source, columns=cols, num_rows=table.num_rows, row_base=table.row_base)


def _normalize_status(raw: str) -> str | None:
    key = re.sub(r"[^A-Z]+", "_", raw.upper()).strip("_")
    return _STATUS_ALIASES.get(key or "NEW")


def _is_virtual(location: str, options: CircleOptions) -> bool:
    return any(w in location.casefold() for w in options.virtual_words)


def participants_from_table(
    source: Table,
    options: CircleOptions,
    names: dict[str, str] | None = None,
    regions: dict[str, str] | None = None,
) -> tuple[list[Participant], list[TimeIssue], dict[str, str]]:
    """Validate participants; every bad value raises InputError with file, row and field."""
    table = apply_mapping(source, options.columns)
    table.require("participant_id", "location_1", "time_1")
    for attr in options.attributes:
        table.require(attr.strip().lower())
    ids = table.ids("participant_id").to_pylist()
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in seen:
            raise table.error(
                i, "participant_id", f"duplicate id '{pid}' (first on row {table.row(seen[pid])})"
            )
        seen[pid] = i
    col = {name: table.text(name).to_pylist() for name in PARTICIPANT_TEXT_FIELDS}
    attrs = [table.text(a.strip().lower()).to_pylist() for a in options.attributes]
    names = {} if names is None else names
    regions = {} if regions is None else regions
    issues: list[TimeIssue] = []
    people: list[Participant] = []
    for i, pid in enumerate(ids):
        status = _normalize_status(col["status"][i])
        if status is None:
            raise table.error(
                i, "status", f"unknown status '{col['status'][i]}'; expected one of {', '.join(STATUSES)}"
            )
        region = canonical(regions, col["region"][i]) if table.has("region") else "ALL"
        if not region:
            raise table.error(i, "region", "empty region")
        host = _HOST.get(col["host"][i].casefold())
        if host is None:
            raise table.error(i, "host", f"expected always, sometimes or never, got '{col['host'][i]}'")
        locations: list[str] = []
        for k in (1, 2, 3):
            text = col[f"location_{k}"][i]
            key = location_key(text)
            if key and key not in locations:
                locations.append(key)
                names.setdefault(key, " ".join(text.split()))
        times: list[int] = []
        for k in (1, 2, 3):
            field = f"time_{k}"
            try:
                times.append(parse_time(col[field][i]))
            except TimeParseError as exc:
                message = f"cannot read time '{col[field][i]}': {exc}"
                if not options.lenient_times:
                    raise table.error(i, field, message) from None
                issues.append(TimeIssue(table.source, table.row(i), field, col[field][i], message))
                times.append(0)
        people.append(
            Participant(
                index=i,
                pid=pid,
                row=table.row(i),
                status=status,
                current_circle=col["current_circle_id"][i],
                region=region,
                locations=tuple(locations),
                times=tuple(times),
                host=host,
                co_lead=_yes_no(table, i, "co_lead", col["co_lead"][i]),
                current_co_leader=bool(_yes_no(table, i, "current_co_leader", col["current_co_leader"][i])),
                attributes=tuple(a[i] for a in attrs),
            )
        )
    return people, issues, names


# The text columns of participants.csv after participant_id (the generator writes them too).
PARTICIPANT_TEXT_FIELDS = (
    "status",
    "current_circle_id",
    "region",
    "location_1",
    "location_2",
    "location_3",
    "time_1",
    "time_2",
    "time_3",
    "host",
    "co_lead",
    "current_co_leader",
)


def _yes_no(table: Table, i: int, field: str, raw: str) -> bool | None:
    if not raw:
        return None
    value = _YES.get(raw.casefold())
    if value is None:
        raise table.error(i, field, f"expected yes or no, got '{raw}'")
    return value


def circles_from_table(
    source: Table,
    options: CircleOptions,
    names: dict[str, str],
    regions: dict[str, str],
    *,
    with_regions: bool = True,
) -> dict[str, ExistingCircle]:
    """circles.csv; without regions (``with_regions`` False: participants have none) every circle
    is in the one region "ALL", as every participant is, so newcomers can still join it."""
    table = source  # ``options.columns`` maps participants' headers only (issue 15: never circles.csv)
    table.require("circle_id", "location", "meeting_time")
    if with_regions:
        table.require("region")
    ids = table.ids("circle_id").to_pylist()
    region_text = table.ids("region").to_pylist() if with_regions else ["ALL"] * len(ids)
    locations = table.text("location").to_pylist()
    times = table.text("meeting_time").to_pylist()
    formats = table.text("format").to_pylist()
    extra = table.integers("max_additions", minimum=0, default=0)
    out: dict[str, ExistingCircle] = {}
    for i, cid in enumerate(ids):
        if cid in out:
            raise table.error(i, "circle_id", f"duplicate circle id '{cid}'")
        try:
            mask = parse_time(times[i])
        except TimeParseError as exc:
            raise table.error(i, "meeting_time", f"cannot read time '{times[i]}': {exc}") from None
        fmt = formats[i].casefold().replace("-", "_").replace(" ", "_")
        if fmt not in ("", "in_person", "virtual"):
            raise table.error(i, "format", f"expected in_person or virtual, got '{formats[i]}'")
        key = location_key(locations[i])
        if key:
            names.setdefault(key, " ".join(locations[i].split()))
        out[cid] = ExistingCircle(
            circle_id=cid,
            region=canonical(regions, region_text[i]),
            location=key,
            meeting_time=times[i],
            mask=mask,
            max_additions=int(extra[i]),
            virtual=fmt == "virtual" or (fmt == "" and _is_virtual(key, options)),
            row=table.row(i),
        )
    return out


def roster_from_tables(participants: Table, circles: Table | None, options: CircleOptions) -> Roster:
    """Both tables, cross-checked: a continuing member's circle must exist in circles.csv."""
    names: dict[str, str] = {}
    regions: dict[str, str] = {}
    with_regions = apply_mapping(participants, options.columns).has("region")
    existing = (
        circles_from_table(circles, options, names, regions, with_regions=with_regions)
        if circles is not None
        else None
    )
    people, issues, names = participants_from_table(participants, options, names, regions)
    warnings: list[str] = []
    if not with_regions and circles is not None and circles.has("region"):
        # Issue 16, item 2: without participants' regions, circles' regions kept newcomers out of
        # every existing circle (reason "no_compatible_time"). One region for all, said aloud.
        warnings.append("participants have no region column: regions are ignored, existing circles included")
    if existing is None:
        existing = _infer_circles(people)
        if existing:
            warnings.append(
                f"no circles file: {len(existing)} existing circles inferred from current_circle_id "
                "(location and time unknown, no additions)"
            )
    source = participants.source
    for p in people:
        if p.status == "CONTINUING" and p.current_circle and p.current_circle not in existing:
            raise InputError(
                f"current circle '{p.current_circle}' is not in the circles file",
                source=source,
                row=p.row,
                field="current_circle_id",
            )
    lost = sum(1 for p in people if p.status == "CONTINUING" and not p.current_circle)
    if lost:
        warnings.append(f"{lost} continuing participants have no current_circle_id; treated as new")
    return Roster(people, existing, names, issues, warnings)


def _infer_circles(people: list[Participant]) -> dict[str, ExistingCircle]:
    members: dict[str, list[Participant]] = {}
    for p in people:
        if p.status == "CONTINUING" and p.current_circle:
            members.setdefault(p.current_circle, []).append(p)
    out = {}
    for cid, group in members.items():
        region = Counter(p.region for p in group).most_common(1)[0][0]
        out[cid] = ExistingCircle(cid, region, "", "", 0, 0, False, None)
    return out
