"""Readers for community CSV files (docs/pulse.md): opportunities, participants, feedback events.

Each reader validates every value and raises ``InputError`` naming file, row and field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.io.csv_reader import read_csv
from flok.pulse.community import Events, Opportunities, ParticipantProfiles, normalise_tags, pad_windows
from flok.pulse.demand import ACTIONS, PulseConfig
from flok.pulse.eligible import first_future, future_message
from flok.table import TIME_HINT, Table, parse_timestamps
from flok.windows import END_BEFORE_START, first_backwards


def _coordinates(table: Table) -> tuple[np.ndarray, np.ndarray]:
    """Optional lat/lon (NaN = no location); both or neither, in range."""
    out = []
    for name, limit in (("lat", 90.0), ("lon", 180.0)):
        if not table.has(name):
            out.append(np.full(table.num_rows, np.nan))
            continue
        empty = np.asarray(pc.equal(table.text(name), "").to_numpy(zero_copy_only=False), dtype=bool)
        values = table.floats(name, default=0.0, what=f"a number between -{limit:g} and {limit:g}")
        bad = np.abs(values) > limit
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise table.error(i, name, f"must be between -{limit:g} and {limit:g}, got {values[i]:g}")
        values[empty] = np.nan
        out.append(values)
    lat, lon = out
    half = np.isnan(lat) != np.isnan(lon)
    if half.any():
        i = int(np.flatnonzero(half)[0])
        field = "lon" if np.isnan(lon[i]) else "lat"
        raise table.error(i, field, "give both lat and lon, or neither")
    return lat, lon


def _tag_lists(table: Table, name: str) -> pa.ListArray:
    return normalise_tags(pc.split_pattern(table.text(name), ";"))


def _flags(table: Table, name: str) -> np.ndarray:
    text = pc.utf8_lower(table.text(name))
    yes = np.isin(np.asarray(text.to_numpy(zero_copy_only=False), dtype=object), ["true", "1", "yes", "y"])
    known = np.isin(
        np.asarray(text.to_numpy(zero_copy_only=False), dtype=object),
        ["true", "1", "yes", "y", "false", "0", "no", "n", ""],
    )
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise table.error(i, name, f"must be true or false, got '{table.text(name)[i].as_py()}'")
    return yes


def opportunities_from_table(table: Table) -> Opportunities:
    ids = table.unique_ids("opportunity_id")
    capacity = table.integers("capacity", minimum=0, what="a whole number of seats")
    start = table.times("start")
    end = table.times("end")
    if table.has("end"):
        orphan = ~np.isnan(end) & np.isnan(start)
        if orphan.any():
            raise table.error(
                int(np.flatnonzero(orphan)[0]), "start", "an opportunity with an end needs a start"
            )
        table.check_windows(start, end)
    lat, lon = _coordinates(table)
    return Opportunities.build(
        np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object),
        capacity,
        title=np.asarray(table.text("title").to_numpy(zero_copy_only=False), dtype=object),
        start=start,
        end=end,
        lat=lat,
        lon=lon,
        tags=_tag_lists(table, "tags"),
    )


def participants_from_table(table: Table) -> ParticipantProfiles:
    ids = table.unique_ids("participant_id")
    lat, lon = _coordinates(table)
    n = table.num_rows
    windows = pc.split_pattern(table.text("availability"), ";")
    parent = pc.list_parent_indices(windows).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(windows))
    used = np.asarray(pc.not_equal(flat, "").to_numpy(zero_copy_only=False), dtype=bool)
    flat, parent = flat.filter(pa.array(used)), parent[used]
    halves = pc.split_pattern(flat, "/")
    sizes = pc.list_value_length(halves).to_numpy(zero_copy_only=False)
    if (sizes != 2).any():
        i = int(np.flatnonzero(sizes != 2)[0])
        raise table.error(
            int(parent[i]),
            "availability",
            f"window '{flat[i].as_py()}' must be START/END, e.g. "
            "2026-11-23T18:00+00:00/2026-11-23T22:00+00:00",
        )
    bounds = []
    for j in (0, 1):
        values, bad = parse_timestamps(pc.list_element(halves, j))
        if bad is not None:
            raise table.error(
                int(parent[bad]), "availability", f"window '{flat[bad].as_py()}': times must be {TIME_HINT}"
            )
        bounds.append(values)
    backwards = first_backwards(bounds[0], bounds[1])
    if backwards is not None:
        raise table.error(
            int(parent[backwards]), "availability", f"window '{flat[backwards].as_py()}': {END_BEFORE_START}"
        )
    starts, ends = pad_windows(parent, bounds[0], bounds[1], n)
    return ParticipantProfiles(
        ids=np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object),
        interests=_tag_lists(table, "interests"),
        lat=lat,
        lon=lon,
        avail_start=starts,
        avail_end=ends,
        first_timer=_flags(table, "first_timer"),
        joined_at=table.times("joined_at"),
    )


def events_from_table(
    table: Table,
    opportunities: Opportunities,
    opportunities_source: str,
    *,
    now: float | None = None,
    config: PulseConfig | None = None,
) -> Events:
    """Events of a log; with ``now``, a row stamped beyond the clock-skew tolerance after it is
    an input error naming its row (see ``flok.pulse.eligible.first_future``)."""
    table.require("participant_id", "opportunity_id", "action", "at")
    pids = table.ids("participant_id")
    oids = table.ids("opportunity_id")
    idx = pc.index_in(oids, value_set=pa.array(opportunities.ids.astype(str)))
    if idx.null_count:
        i = int(np.flatnonzero(np.asarray(pc.is_null(idx).to_numpy(zero_copy_only=False)))[0])
        raise table.error(
            i, "opportunity_id", f"unknown opportunity '{oids[i].as_py()}' (not in {opportunities_source})"
        )
    actions = pc.utf8_lower(table.text("action"))
    codes = pc.index_in(actions, value_set=pa.array(ACTIONS))
    if codes.null_count:
        i = int(np.flatnonzero(np.asarray(pc.is_null(codes).to_numpy(zero_copy_only=False)))[0])
        raise table.error(
            i, "action", f"unknown action '{table.text('action')[i].as_py()}' (use {', '.join(ACTIONS)})"
        )
    at = table.times("at", required=True)
    if now is not None:
        cfg = config or PulseConfig()
        bad = first_future(at, now, cfg)
        if bad is not None:
            raise table.error(bad, "at", future_message(float(at[bad]), cfg))
    return Events(
        participant_id=np.asarray(pids.to_numpy(zero_copy_only=False), dtype=object),
        opportunity=idx.to_numpy(zero_copy_only=False).astype(np.int64),
        action=codes.to_numpy(zero_copy_only=False).astype(np.int8),
        at=at,
        event_id=table.text("event_id") if table.has("event_id") else None,
    )


def read_opportunities(path: str | Path) -> Opportunities:
    return opportunities_from_table(read_csv(path))


def read_participants(path: str | Path) -> ParticipantProfiles:
    return participants_from_table(read_csv(path))


def read_events(
    path: str | Path,
    opportunities: Opportunities,
    opportunities_source: str,
    *,
    now: float | None = None,
    config: PulseConfig | None = None,
) -> Events:
    return events_from_table(
        read_csv(path, allow_empty=True), opportunities, opportunities_source, now=now, config=config
    )
