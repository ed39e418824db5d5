"""Community data as flat arrays: opportunities with place, time and tags; participants; feedback.

The CSV readers (``flok.io.community``) and the service both build these through the
``build`` constructors, so validation and normalisation live in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.errors import InputError
from flok.pulse.demand import ACTIONS
from flok.windows import END_BEFORE_START, first_backwards

ACCEPTED = ACTIONS.index("accepted")
DECLINED = ACTIONS.index("declined")


def seconds(values: Sequence[Any] | np.ndarray | None, n: int) -> np.ndarray:
    """Epoch seconds from datetimes (timezone-aware) or numbers; None becomes NaN."""
    if values is None:
        return np.full(n, np.nan)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v is None:
            out[i] = np.nan
        elif isinstance(v, datetime):
            if v.tzinfo is None:
                raise InputError(f"datetime {v.isoformat()} has no time zone", source="pulse", field="time")
            out[i] = v.timestamp()
        else:
            out[i] = float(v)
    return out


def normalise_tags(lists: pa.Array) -> pa.ListArray:
    """Trim and lower-case every tag and drop empty ones, keeping one list per row."""
    lists = pc.fill_null(lists, pa.scalar([], type=pa.list_(pa.string())))
    n = len(lists)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    values = pc.utf8_lower(pc.utf8_trim_whitespace(pc.list_flatten(lists)))
    keep = np.asarray(pc.not_equal(values, "").to_numpy(zero_copy_only=False), dtype=bool)
    values = values.filter(pa.array(keep))
    offsets = np.searchsorted(parents[keep], np.arange(n + 1)).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _floats(values: Sequence[Any] | np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _tags(values: Sequence[Sequence[str]] | pa.Array | None, n: int) -> pa.ListArray:
    if values is None:
        values = [[] for _ in range(n)]
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.list_(pa.string()))
    return normalise_tags(arr)


@dataclass(frozen=True, eq=False)
class Opportunities:
    """Community opportunities; NaN start/end/lat/lon mean "any time" / "anywhere" (online)."""

    ids: np.ndarray
    capacity: np.ndarray
    start: np.ndarray
    end: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    tags: pa.ListArray
    title: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls,
        ids: Sequence[Any] | np.ndarray,
        capacity: Sequence[int] | np.ndarray,
        *,
        title: Sequence[str] | np.ndarray | None = None,
        start: Sequence[Any] | np.ndarray | None = None,
        end: Sequence[Any] | np.ndarray | None = None,
        lat: Sequence[Any] | np.ndarray | None = None,
        lon: Sequence[Any] | np.ndarray | None = None,
        tags: Sequence[Sequence[str]] | pa.Array | None = None,
    ) -> Opportunities:
        n = len(ids)
        cap = np.asarray(capacity, dtype=np.int64)
        if cap.shape != (n,) or (n and cap.min() < 0):
            raise InputError(
                "capacity needs one whole number ≥ 0 per opportunity",
                source="opportunities",
                field="capacity",
            )
        s = seconds(start, n)
        e = seconds(end, n)
        e = np.where(np.isnan(e), s, e)
        bad = first_backwards(s, e)
        if bad is not None:
            raise InputError(END_BEFORE_START, source="opportunities", row=bad + 1, field="end")
        return cls(
            ids=np.asarray(ids, dtype=object),
            capacity=cap,
            start=s,
            end=e,
            lat=_floats(lat, n),
            lon=_floats(lon, n),
            tags=_tags(tags, n),
            title=np.asarray(title if title is not None else [""] * n, dtype=object),
        )


@dataclass(frozen=True, eq=False)
class ParticipantProfiles:
    """What fit scoring knows of each community participant (interests, home, availability,
    first-timer, joined): profiles, not a second notion of participant. Availability is padded
    to ``(n, W)`` with NaN for unused slots.

    A participant with no availability window is available at any time.
    """

    ids: np.ndarray
    interests: pa.ListArray
    lat: np.ndarray
    lon: np.ndarray
    avail_start: np.ndarray
    avail_end: np.ndarray
    first_timer: np.ndarray
    joined_at: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls,
        ids: Sequence[Any] | np.ndarray,
        *,
        interests: Sequence[Sequence[str]] | pa.Array | None = None,
        lat: Sequence[Any] | np.ndarray | None = None,
        lon: Sequence[Any] | np.ndarray | None = None,
        availability: Sequence[Sequence[tuple[Any, Any]]] | None = None,
        first_timer: Sequence[bool] | np.ndarray | None = None,
        joined_at: Sequence[Any] | np.ndarray | None = None,
    ) -> ParticipantProfiles:
        n = len(ids)
        if availability is None:
            starts = ends = np.full((n, 0), np.nan)
        else:
            parents = np.repeat(np.arange(n), [len(w) for w in availability])
            flat = [pair for windows in availability for pair in windows]
            starts, ends = pad_windows(
                parents, seconds([a for a, _ in flat], len(flat)), seconds([b for _, b in flat], len(flat)), n
            )
        return cls(
            ids=np.asarray(ids, dtype=object),
            interests=_tags(interests, n),
            lat=_floats(lat, n),
            lon=_floats(lon, n),
            avail_start=starts,
            avail_end=ends,
            first_timer=np.zeros(n, dtype=bool)
            if first_timer is None
            else np.asarray(first_timer, dtype=bool),
            joined_at=seconds(joined_at, n),
        )


def pad_windows(
    parent: np.ndarray, start: np.ndarray, end: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ragged windows (``parent`` = participant) as ``(n, W)`` NaN-padded arrays, sorted by start,
    with overlapping or touching windows merged: availability is their union, and disjoint
    windows let the scorer find an opportunity's window by containment alone.
    """
    parent = np.asarray(parent, dtype=np.int64)
    if first_backwards(start, end) is not None:
        raise InputError(END_BEFORE_START, source="participants", field="availability")
    counts = np.bincount(parent, minlength=n) if parent.size else np.zeros(n, dtype=np.int64)
    width = int(counts.max(initial=0))
    order = np.lexsort((start, parent))
    p = parent[order]
    slot = np.arange(p.size) - np.searchsorted(p, p)
    starts = np.full((n, width), np.nan)
    ends = np.full((n, width), np.nan)
    starts[p, slot] = start[order]
    ends[p, slot] = end[order]
    if width <= 1:
        return starts, ends
    group = np.zeros((n, width), dtype=np.int64)
    g = np.zeros(n, dtype=np.int64)
    reach = ends[:, 0].copy()
    for w in range(1, width):
        new = ~(starts[:, w] <= reach)
        g = g + new
        group[:, w] = g
        reach = np.where(new, ends[:, w], np.fmax(reach, ends[:, w]))
    rows, cols = np.nonzero(~np.isnan(starts))
    merged_width = int(group[rows, cols].max(initial=0)) + 1
    m_start = np.full((n, merged_width), np.inf)
    m_end = np.full((n, merged_width), -np.inf)
    np.minimum.at(m_start, (rows, group[rows, cols]), starts[rows, cols])
    np.maximum.at(m_end, (rows, group[rows, cols]), ends[rows, cols])
    unused = np.isinf(m_start)
    m_start[unused] = np.nan
    m_end[unused] = np.nan
    return m_start, m_end


@dataclass(frozen=True, eq=False)
class Events:
    """Feedback events: who did what to which opportunity (an index) and when."""

    participant_id: np.ndarray
    opportunity: np.ndarray
    action: np.ndarray
    at: np.ndarray
    event_id: pa.Array | None = None

    def __len__(self) -> int:
        return len(self.opportunity)

    @classmethod
    def build(
        cls,
        opportunities: Opportunities,
        *,
        participant_id: Sequence[Any] | np.ndarray,
        opportunity_id: Sequence[Any] | np.ndarray,
        action: Sequence[str] | np.ndarray,
        at: Sequence[Any] | np.ndarray,
        event_id: Sequence[Any] | np.ndarray | None = None,
    ) -> Events:
        n = len(opportunity_id)
        oid = pa.array(np.asarray(opportunity_id, dtype=object).astype(str))
        idx = pc.index_in(oid, value_set=pa.array(opportunities.ids.astype(str)))
        if idx.null_count:
            i = int(np.flatnonzero(np.asarray(pc.is_null(idx).to_numpy(zero_copy_only=False)))[0])
            raise InputError(
                f"unknown opportunity {opportunity_id[i]!r}",
                source="events",
                row=i + 1,
                field="opportunity_id",
            )
        codes = pc.index_in(
            pa.array(np.asarray(action, dtype=object).astype(str)), value_set=pa.array(ACTIONS)
        )
        if codes.null_count:
            i = int(np.flatnonzero(np.asarray(pc.is_null(codes).to_numpy(zero_copy_only=False)))[0])
            raise InputError(f"unknown action {action[i]!r}", source="events", row=i + 1, field="action")
        return cls(
            participant_id=np.asarray(participant_id, dtype=object),
            opportunity=idx.to_numpy(zero_copy_only=False).astype(np.int64),
            action=codes.to_numpy(zero_copy_only=False).astype(np.int8),
            at=seconds(at, n),
            event_id=None if event_id is None else pa.array(["" if e is None else str(e) for e in event_id]),
        )

    def unique(self) -> Events:
        """The events with each repeated id kept once (its first occurrence)."""
        from flok.pulse.demand import first_occurrence

        keep = first_occurrence(self.event_id, len(self))
        if keep.all():
            return self
        return Events(
            participant_id=self.participant_id[keep],
            opportunity=self.opportunity[keep],
            action=self.action[keep],
            at=self.at[keep],
            event_id=None if self.event_id is None else self.event_id.filter(pa.array(keep)),
        )

    def attending(self) -> tuple[np.ndarray, np.ndarray]:
        """Confirmed RSVPs as (participant_id, opportunity index) pairs.

        A participant attends an opportunity when their latest ``accepted``/``declined``
        event for it (by time; the later row wins a tie) is ``accepted``.
        """
        ev = self.unique()
        rsvp = np.flatnonzero((ev.action == ACCEPTED) | (ev.action == DECLINED))
        if rsvp.size == 0:
            return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
        enc = pc.dictionary_encode(pa.array(ev.participant_id[rsvp].astype(str)))
        pcode = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        key = pcode * (int(ev.opportunity.max()) + 1) + ev.opportunity[rsvp]
        order = np.lexsort((np.arange(rsvp.size), ev.at[rsvp], key))
        last = np.ones(order.size, dtype=bool)
        last[:-1] = key[order][1:] != key[order][:-1]
        final = rsvp[order[last]]
        yes = final[ev.action[final] == ACCEPTED]
        return ev.participant_id[yes], ev.opportunity[yes]

    def confirmed(self, n_opportunities: int) -> np.ndarray:
        """Confirmed RSVPs per opportunity."""
        _, opp = self.attending()
        return np.bincount(opp, minlength=n_opportunities).astype(np.int64)
