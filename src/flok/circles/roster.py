"""The circle roster: validated participants and existing circles, made from string tables.

Data in, data out: the tables come from wherever the caller got them (`flok.io.circles` reads files,
the dashboard parses uploads); every bad value raises InputError naming its source, row and field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from flok.circles.limits import circle_limits, parse_max_new
from flok.circles.options import CircleOptions
from flok.circles.places import canonical, display_name, location_key, look_alikes
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
    # The survey's own answers ("Volunteering to Host?"); a preset may map others.
    "always host": ALWAYS,
    "sometimes host": SOMETIMES,
    "never host": NEVER,
    "n/a": NEVER,
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
    max_new: int | None = None  # a co-leader's "Max New Members" answer; None: no answer; NO_LIMIT
    extra: tuple[str, ...] = ()  # the values of ``CircleOptions.keep`` columns, passed to the outputs


@dataclass(frozen=True)
class ExistingCircle:
    circle_id: str
    region: str
    location: str  # location key ('' when unknown)
    meeting_time: str  # as written
    mask: int  # cells of the meeting time (0 when unknown)
    max_additions: int  # newcomers it may take (the rule in `flok.circles.limits`)
    virtual: bool
    row: int | None
    limit_from: str = "circles file"  # where max_additions came from: circles file, co-leaders, default


@dataclass(frozen=True)
class TimeIssue:
    """An unparseable time wish, kept so the report can name it (lenient mode)."""

    source: str
    row: int
    field: str
    value: str
    message: str
    column: str = ""  # the user's header, when the file's column has another name than the field


@dataclass(frozen=True)
class Roster:
    people: list[Participant]
    circles: dict[str, ExistingCircle]
    location_names: dict[str, str]  # key → display form as first written
    issues: list[TimeIssue]
    warnings: list[str]
    notes: dict[str, list[str]] = field(default_factory=dict)  # participant id → what was done and why


class Problems:
    """Every value a file's reader did not understand, so one run names them all, not only the
    first: raised as one InputError (the first, located by row and field) listing the others."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def add(self, error: InputError) -> None:
        self.errors.append(error)

    def raise_any(self) -> None:
        if not self.errors:
            return
        first, rest = self.errors[0], self.errors[1:]
        if rest:
            listed = "; ".join(e.one_line() for e in rest[:10])
            more = f" and {len(rest) - 10} more" if len(rest) > 10 else ""
            first.message += f" (also: {listed}{more})"
            first.args = (first.one_line(),)
        raise first


def apply_mapping(table: Table, mapping: Mapping[str, str]) -> Table:
    """Rename file headers to canonical names so any export can be read without editing it."""
    if not mapping:
        return table
    cols = dict(table.columns)
    for name, header in mapping.items():
        src, dst = header.strip().lower(), name.strip().lower()
        if src == dst:
            continue
        if src not in cols:
            raise InputError(
                f"column mapping names '{header}' for '{name}', but the file has no such column",
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
    """Validate participants. Every value not understood is named with its file, row and field:
    all of them in one InputError, except unreadable times under ``lenient_times``, which are
    returned as issues (that one wish dropped, the rest of the row kept)."""
    table = apply_mapping(source, options.columns)
    table.require("participant_id", "location_1", "time_1")
    for attr in (*options.attributes, *options.keep):
        table.require(attr.strip().lower())
    ids = table.ids("participant_id").to_pylist()
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in seen:
            raise table.error(
                i, "participant_id", f"duplicate id '{pid}' (first on row {table.row(seen[pid])})"
            )
        seen[pid] = i
    col = {name: table.text(name).to_pylist() for name in (*PARTICIPANT_TEXT_FIELDS, "max_new_members")}
    attrs = [table.text(a.strip().lower()).to_pylist() for a in options.attributes]
    kept = [table.text(a.strip().lower()).to_pylist() for a in options.keep]
    names = {} if names is None else names
    regions = {} if regions is None else regions
    issues: list[TimeIssue] = []
    people: list[Participant] = []
    problems = Problems()

    def bad(i: int, name: str, message: str) -> None:
        problems.add(table.error(i, name, message))

    for i, pid in enumerate(ids):
        status = _normalize_status(col["status"][i])
        if status is None:
            bad(i, "status", f"unknown status '{col['status'][i]}'; expected one of {', '.join(STATUSES)}")
        region = canonical(regions, col["region"][i]) if table.has("region") else "ALL"
        if not region:
            bad(i, "region", "empty region")
        host = _HOST.get(" ".join(col["host"][i].casefold().split()))
        if host is None:
            bad(i, "host", f"expected always, sometimes or never, got '{col['host'][i]}'")
        locations: list[str] = []
        for k in (1, 2, 3):
            text = col[f"location_{k}"][i]
            key = location_key(text)
            if key and key not in locations:
                locations.append(key)
                names.setdefault(key, display_name(text))
        times: list[int] = []
        for k in (1, 2, 3):
            name = f"time_{k}"
            try:
                times.append(parse_time(col[name][i]))
            except TimeParseError as exc:
                message = f"cannot read time '{col[name][i]}': {exc}"
                times.append(0)
                if not options.lenient_times:
                    bad(i, name, message)
                    continue
                column = table.header(i, name) or ""
                issues.append(TimeIssue(table.source, table.row(i), name, col[name][i], message, column))
        try:
            max_new = parse_max_new(col["max_new_members"][i])
        except ValueError as exc:
            bad(i, "max_new_members", str(exc))
            max_new = None
        co_lead = _yes_no(col["co_lead"][i])
        if co_lead is _BAD:
            bad(i, "co_lead", f"expected yes or no, got '{col['co_lead'][i]}'")
        current = _yes_no(col["current_co_leader"][i])
        if current is _BAD:
            bad(i, "current_co_leader", f"expected yes or no, got '{col['current_co_leader'][i]}'")
        if problems.errors:
            continue  # the row is reported; the people list is never used when anything was wrong
        people.append(
            Participant(
                index=i,
                pid=pid,
                row=table.row(i),
                status=str(status),
                current_circle=col["current_circle_id"][i],
                region=region,
                locations=tuple(locations),
                times=tuple(times),
                host=int(host or 0),
                co_lead=co_lead if isinstance(co_lead, bool) else None,
                current_co_leader=current is True,
                attributes=tuple(a[i] for a in attrs),
                max_new=max_new,
                extra=tuple(k[i] for k in kept),
            )
        )
    problems.raise_any()
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


_BAD = object()  # a yes/no answer that is neither


def _yes_no(raw: str) -> bool | object | None:
    """True, False, None (not answered) or ``_BAD``."""
    if not raw:
        return None
    value = _YES.get(raw.casefold().rstrip(".!"))
    return _BAD if value is None else value


def circles_from_table(
    source: Table,
    options: CircleOptions,
    names: dict[str, str],
    regions: dict[str, str],
    *,
    with_regions: bool = True,
    staff: dict[str, int | None] | None = None,
) -> dict[str, ExistingCircle]:
    """circles.csv; without regions (``with_regions`` False: participants have none) every circle
    is in the one region "ALL", as every participant is, so newcomers can still join it.

    A filled ``max_additions`` cell is put in ``staff`` (circle id → number; None when blank):
    the final limit also depends on the co-leaders' answers (`flok.circles.limits`)."""
    table = source  # ``options.columns`` maps participants' headers only (issue 15: never circles.csv)
    table.require("circle_id", "location", "meeting_time")
    if with_regions:
        table.require("region")
    ids = table.ids("circle_id").to_pylist()
    region_text = table.ids("region").to_pylist() if with_regions else ["ALL"] * len(ids)
    locations = table.text("location").to_pylist()
    times = table.text("meeting_time").to_pylist()
    formats = table.text("format").to_pylist()
    extra = table.floats("max_additions", default=float("nan"), what="a whole number ≥ 0")
    for i, value in enumerate(extra):
        if value == value and (value < 0 or value != int(value)):
            raise table.error(
                i, "max_additions", f"must be a whole number ≥ 0, got '{table.text('max_additions')[i]}'"
            )
    staff = {} if staff is None else staff
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
            names.setdefault(key, display_name(locations[i]))
        staff[cid] = None if extra[i] != extra[i] else int(extra[i])
        out[cid] = ExistingCircle(
            circle_id=cid,
            region=canonical(regions, region_text[i]),
            location=key,
            meeting_time=times[i],
            mask=mask,
            max_additions=0,
            virtual=fmt == "virtual" or (fmt == "" and _is_virtual(key, options)),
            row=table.row(i),
        )
    return out


def roster_from_tables(participants: Table, circles: Table | None, options: CircleOptions) -> Roster:
    """Both tables, cross-checked, with every existing circle's newcomer limit decided.

    A continuing member whose circle is unknown does not stop the run (issue 16, item 10): in
    ``dissolve`` mode nobody keeps a circle anyway, so they are simply free; otherwise they are
    treated as new, with a warning and a note on their own row of the outputs.
    """
    names: dict[str, str] = {}
    regions: dict[str, str] = {}
    staff: dict[str, int | None] = {}
    with_regions = apply_mapping(participants, options.columns).has("region")
    existing = (
        circles_from_table(circles, options, names, regions, with_regions=with_regions, staff=staff)
        if circles is not None
        else None
    )
    people, issues, names = participants_from_table(participants, options, names, regions)
    warnings: list[str] = []
    notes: dict[str, list[str]] = {}
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
    unknown: list[Participant] = []
    for k, p in enumerate(people):
        if p.status == "CONTINUING" and p.current_circle and p.current_circle not in existing:
            unknown.append(p)
            if options.mode != "dissolve":
                people[k] = replace(p, status="NEW")
                notes.setdefault(p.pid, []).append(
                    f"current circle '{p.current_circle}' is not in the circles file; placed as a newcomer"
                )
    if unknown and options.mode != "dissolve":
        rows = ", ".join(str(p.row) for p in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        warnings.append(
            f"{len(unknown)} continuing participants name a circle that is not in the circles file "
            f"(rows {rows}); treated as new"
        )
    lost = sum(1 for p in people if p.status == "CONTINUING" and not p.current_circle)
    if lost:
        warnings.append(f"{lost} continuing participants have no current_circle_id; treated as new")
    by_row = {p.row: p.pid for p in people}
    for issue in issues:
        notes.setdefault(by_row[issue.row], []).append(
            f"{issue.column or issue.field} '{issue.value}' could not be read as a time and was ignored"
        )
    limits, limit_warnings = circle_limits(
        set(existing),
        ((p.status, p.current_circle, p.current_co_leader, p.max_new) for p in people),
        staff,
        options,
    )
    existing = {
        cid: replace(c, max_additions=limits[cid][0], limit_from=limits[cid][1])
        for cid, c in existing.items()
    }
    warnings += limit_warnings
    warnings += _look_alike_warnings(people, existing, names, regions)
    return Roster(people, existing, names, issues, warnings, notes)


def _look_alike_warnings(
    people: list[Participant],
    circles: dict[str, ExistingCircle],
    names: dict[str, str],
    regions: dict[str, str],
) -> list[str]:
    """Issue 16, item 11: near-identical spellings are said aloud, never silently two places."""
    place_counts: Counter[str] = Counter(loc for p in people for loc in p.locations)
    place_counts.update(c.location for c in circles.values() if c.location)
    region_counts: Counter[str] = Counter(location_key(p.region) for p in people)
    return look_alikes(names, place_counts, "locations") + look_alikes(regions, region_counts, "regions")


def _infer_circles(people: list[Participant]) -> dict[str, ExistingCircle]:
    members: dict[str, list[Participant]] = {}
    for p in people:
        if p.status == "CONTINUING" and p.current_circle:
            members.setdefault(p.current_circle, []).append(p)
    out = {}
    for cid, group in members.items():
        region = Counter(p.region for p in group).most_common(1)[0][0]
        out[cid] = ExistingCircle(cid, region, "", "", 0, 0, False, None, "default")
    return out
