"""The problem Flok solves, held as flat numpy arrays so a million participants stay cheap.

Participants and opportunities are numbered 0..n-1 and 0..m-1; each preference is one
(participant, opportunity) pair with a rank or a score. Every constructor validates, so a
:class:`Problem` in hand is always well-formed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.errors import InputError
from flok.options import OPTION_CHECKS, Options, Quota, load_rule_registry
from flok.table import Table, check_columns, table_from_columns, table_from_records
from flok.timetable import check_schedule, meetings_text, overlap_cliques, parse_meetings
from flok.windows import END_BEFORE_START, first_backwards

__all__ = ["Mode", "Options", "Problem", "Quota"]

Mode = Literal["rank", "score"]

OPPORTUNITY_COLUMNS = (
    "opportunity_id",
    "capacity",
    "title",
    "category",
    "start",
    "end",
    "meetings",
    "location",
    "lat",
    "lon",
    "min_size",
)
"""Columns of opportunities.csv Flok knows; others are listed as ignored, near misses refused."""
PREFERENCE_COLUMNS = ("participant_id", "opportunity_id", "rank", "score", "penalty")
PARTICIPANT_COLUMNS = ("participant_id", "max_seats", "group")
"""participants.csv's own columns; every other column is a free-form attribute (for quotas)."""


@dataclass(frozen=True, eq=False)
class Problem:
    """A complete, validated allocation input."""

    participant_ids: np.ndarray
    opportunity_ids: np.ndarray
    capacity: np.ndarray
    pref_participant: np.ndarray
    pref_opportunity: np.ndarray
    rank: np.ndarray | None = None
    score: np.ndarray | None = None
    options: Options = field(default_factory=Options)
    participant_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    opportunity_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    # Side-constraint data (None = absent): per participant, per opportunity, per preference.
    max_seats: np.ndarray | None = None
    group: np.ndarray | None = None
    start: np.ndarray | None = None
    end: np.ndarray | None = None
    meetings: np.ndarray | None = None  # per opportunity, a weekly Schedule (() = no fixed time)
    category: np.ndarray | None = None
    min_size: np.ndarray | None = None
    penalty: np.ndarray | None = None
    # Columns of the input tables Flok does not use, by source (listed in the summary and report).
    ignored_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What reading each input detected or decided (separator, encoding, mapping), by source.
    input_notes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # --- shape -----------------------------------------------------------------------------
    @property
    def n_participants(self) -> int:
        return len(self.participant_ids)

    @property
    def n_opportunities(self) -> int:
        return len(self.opportunity_ids)

    @property
    def n_preferences(self) -> int:
        return len(self.pref_participant)

    @property
    def mode(self) -> Mode:
        return "rank" if self.rank is not None else "score"

    @property
    def max_rank(self) -> int:
        if self.rank is None or self.rank.size == 0:
            return 0
        return int(self.rank.max())

    @property
    def unlisted_rank(self) -> int:
        """The cost of an unranked seat under ``fill_unlisted``: max rank + 2 (ARCHITECTURE §4)."""
        return self.max_rank + 2

    @cached_property
    def preference_rank(self) -> np.ndarray:
        """Each preference's rank; in score mode 1 + how many of the participant's scores are higher."""
        if self.rank is not None:
            return self.rank
        assert self.score is not None
        # One float sort for a global score order, then one sort of unique integer keys
        # (participant, score order): several times faster than np.lexsort on millions.
        size = self.score.size
        global_order = np.empty(size, dtype=np.int64)
        global_order[np.argsort(-self.score, kind="stable")] = np.arange(size)
        order = np.argsort(self.pref_participant * size + global_order, kind="stable")
        p_sorted, s_sorted = self.pref_participant[order], self.score[order]
        starts = np.searchsorted(p_sorted, p_sorted, side="left")
        place = np.arange(order.size) - starts + 1
        # Equal scores share the better place (1 + how many score strictly higher).
        run_start = np.ones(order.size, dtype=bool)
        run_start[1:] = (p_sorted[1:] != p_sorted[:-1]) | (s_sorted[1:] != s_sorted[:-1])
        ranks = np.empty(order.size, dtype=np.int64)
        first_of_run = np.maximum.accumulate(np.where(run_start, np.arange(order.size), 0))
        ranks[order] = place[first_of_run]
        return ranks

    @cached_property
    def _pair_lookup(self) -> tuple[np.ndarray, np.ndarray]:
        keys = self.pref_participant * max(self.n_opportunities, 1) + self.pref_opportunity
        order = np.argsort(keys, kind="stable")  # nearly sorted input: timsort is linear
        return keys[order], order

    def locate(self, participant: np.ndarray, opportunity: np.ndarray) -> np.ndarray:
        """The preference row of each (participant, opportunity) pair, −1 where unlisted."""
        sorted_keys, order = self._pair_lookup
        q = np.asarray(participant) * max(self.n_opportunities, 1) + np.asarray(opportunity)
        if not sorted_keys.size:
            return np.full(q.size, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(sorted_keys, q), sorted_keys.size - 1)
        return np.where(sorted_keys[pos] == q, order[pos], -1).astype(np.int64)

    def acceptable(self) -> np.ndarray:
        """Mask of preferences that may be assigned (score mode drops pairs below min_score)."""
        if self.score is None:
            return np.ones(self.n_preferences, dtype=bool)
        return self.score >= self.options.min_score

    def seats_allowed(self) -> np.ndarray:
        """Seats each participant may hold (``max_seats``, default 1)."""
        if self.max_seats is None:
            return np.ones(self.n_participants, dtype=np.int64)
        return self.max_seats

    def group_index(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Group number per participant (−1 = none) and the members of each group of 2+."""
        if self.group is None:
            return np.full(self.n_participants, -1, dtype=np.int64), []
        labels = np.asarray(self.group, dtype=object)
        has = labels != ""
        idx = np.full(self.n_participants, -1, dtype=np.int64)
        names, inverse = np.unique(labels[has].astype(str), return_inverse=True)
        idx[has] = inverse
        members = [np.flatnonzero(idx == g) for g in range(len(names))]
        keep = [m for m in members if m.size >= 2]
        out = np.full(self.n_participants, -1, dtype=np.int64)
        for g, m in enumerate(keep):
            out[m] = g
        return out, keep

    def time_windows(self) -> list[list[tuple[float, float]]] | None:
        """Each opportunity's ``[start, end)`` intervals: its weekly meetings or its dated window.

        None when the problem has no times at all; an untimed opportunity has no intervals.
        """
        if self.meetings is not None:
            return [[(float(s), float(e)) for s, e in schedule] for schedule in self.meetings]
        if self.start is None or self.end is None:
            return None
        timed = ~np.isnan(self.start) & ~np.isnan(self.end)
        return [
            [(float(s), float(e))] if ok else []
            for s, e, ok in zip(self.start.tolist(), self.end.tolist(), timed.tolist(), strict=True)
        ]

    @cached_property
    def clash_cliques(self) -> list[list[int]]:
        """Sets of 2+ opportunities that meet at one instant (see ``flok.timetable.overlap_cliques``)."""
        windows = self.time_windows()
        return [] if windows is None else overlap_cliques(windows)

    def clashing_pairs(self) -> np.ndarray:
        """Pairs (a, b), a < b, of opportunities whose times overlap (windows or weekly meetings)."""
        pairs = {(a, b) for c in self.clash_cliques for k, a in enumerate(c) for b in c[k + 1 :]}
        return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)

    def pair_indices(self, pairs: tuple[tuple[str, str], ...], name: str) -> np.ndarray:
        """(participant, opportunity) index pairs for id pairs, naming the first unknown id."""
        if not pairs:
            return np.zeros((0, 2), dtype=np.int64)
        pidx = {str(p): i for i, p in enumerate(self.participant_ids)}
        oidx = {str(o): i for i, o in enumerate(self.opportunity_ids)}
        out = []
        for k, (p, o) in enumerate(pairs):
            if p not in pidx:
                raise InputError(f"unknown participant '{p}' in item {k + 1}", source="options", field=name)
            if o not in oidx:
                raise InputError(f"unknown opportunity '{o}' in item {k + 1}", source="options", field=name)
            out.append((pidx[p], oidx[o]))
        return np.array(out, dtype=np.int64).reshape(-1, 2)

    def with_options(self, **changes: Any) -> Problem:
        problem = replace(self, options=self.options.with_(**changes))
        problem._check_options()
        return problem

    def _check_options(self) -> None:
        """Options that must agree with the data: the core's here, each side rule's registered."""
        if self.score is not None and self.options.fill_unlisted:
            raise InputError(
                "fill_unlisted needs ranked preferences (rank column), not scores",
                source="options",
                field="fill_unlisted",
            )
        load_rule_registry()
        for check in OPTION_CHECKS:
            check(self)

    # --- constructors ----------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        *,
        opportunity_ids: Sequence[Any] | np.ndarray,
        capacity: Sequence[int] | np.ndarray,
        pref_participant: Sequence[int] | np.ndarray,
        pref_opportunity: Sequence[int] | np.ndarray,
        rank: Sequence[int] | np.ndarray | None = None,
        score: Sequence[float] | np.ndarray | None = None,
        participant_ids: Sequence[Any] | np.ndarray | None = None,
        n_participants: int | None = None,
        options: Options | None = None,
        max_seats: Sequence[int] | np.ndarray | None = None,
        group: Sequence[Any] | np.ndarray | None = None,
        start: Sequence[float] | np.ndarray | None = None,
        end: Sequence[float] | np.ndarray | None = None,
        meetings: Sequence[str | Sequence[Sequence[int]]] | None = None,
        category: Sequence[Any] | np.ndarray | None = None,
        min_size: Sequence[int] | np.ndarray | None = None,
        penalty: Sequence[float] | np.ndarray | None = None,
        participant_attributes: Mapping[str, Sequence[Any] | np.ndarray] | None = None,
    ) -> Problem:
        """Fast path for callers that already hold integer indices (benchmarks, pulse).

        ``start``/``end`` are POSIX seconds (NaN = no time); ``meetings`` per opportunity is a
        weekly schedule, as text (the CSV form) or as ``[start, end)`` minute pairs since Monday
        00:00; ``group``/``category`` are labels ('' = none).
        """
        pp = np.asarray(pref_participant, dtype=np.int64)
        po = np.asarray(pref_opportunity, dtype=np.int64)
        if participant_ids is None:
            n = int(n_participants if n_participants is not None else (pp.max(initial=-1) + 1))
            pids = np.array([f"p{i}" for i in range(n)], dtype=object)
        else:
            pids = np.asarray(participant_ids, dtype=object)
        oids = np.asarray(opportunity_ids, dtype=object)
        cap = np.asarray(capacity)
        problem = cls(
            participant_ids=pids,
            opportunity_ids=oids,
            capacity=_int_array(cap, "capacity", "opportunities"),
            pref_participant=pp,
            pref_opportunity=po,
            rank=None if rank is None else _int_array(np.asarray(rank), "rank", "preferences"),
            score=None if score is None else np.asarray(score, dtype=np.float64),
            options=options or Options(),
            participant_attributes={
                k.lower(): np.asarray([str(v) for v in vals], dtype=object)
                for k, vals in (participant_attributes or {}).items()
            },
            max_seats=None
            if max_seats is None
            else _int_array(np.asarray(max_seats), "max_seats", "participants"),
            group=None if group is None else np.asarray([str(g) for g in group], dtype=object),
            start=None if start is None else np.asarray(start, dtype=np.float64),
            end=None if end is None else np.asarray(end, dtype=np.float64),
            meetings=None if meetings is None else _schedules(meetings),
            category=None if category is None else np.asarray([str(c) for c in category], dtype=object),
            min_size=None
            if min_size is None
            else _int_array(np.asarray(min_size), "min_size", "opportunities"),
            penalty=None if penalty is None else np.asarray(penalty, dtype=np.float64),
        )
        problem._validate(None, None)
        return problem

    @classmethod
    def from_tables(
        cls,
        opportunities: Table,
        preferences: Table,
        participants: Table | None = None,
        options: Options | None = None,
    ) -> Problem:
        """Build from raw string tables (CSV or JSON), reporting bad values by row and field."""
        opts = options or Options()
        ignored = _check_columns(opportunities, preferences, participants)
        oids = opportunities.unique_ids("opportunity_id")
        cap = opportunities.integers("capacity", minimum=0, what="a whole number of seats")

        preferences.require("participant_id", "opportunity_id")
        has_rank, has_score = preferences.has("rank"), preferences.has("score")
        if has_rank == has_score:
            raise InputError(
                "give exactly one of the columns 'rank' or 'score'",
                source=preferences.source,
                row=1 if preferences.row_base == 2 else None,
                field="rank",
            )
        pref_pid = preferences.ids("participant_id")
        pref_oid = preferences.ids("opportunity_id")

        pidx = pc.index_in(pref_oid, value_set=oids).to_numpy(zero_copy_only=False)
        unknown = np.isnan(pidx) if pidx.dtype.kind == "f" else np.zeros(len(pidx), dtype=bool)
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise preferences.error(
                i,
                "opportunity_id",
                f"unknown opportunity '{pref_oid[i].as_py()}' (not in {opportunities.source})",
            )
        pref_o = pidx.astype(np.int64)

        p_attrs: dict[str, np.ndarray] = {}
        max_seats = group = None
        if participants is not None:
            pids_arr = participants.unique_ids("participant_id")
            found = pc.index_in(pref_pid, value_set=pids_arr).to_numpy(zero_copy_only=False)
            missing = np.isnan(found) if found.dtype.kind == "f" else np.zeros(len(found), dtype=bool)
            if missing.any():
                i = int(np.flatnonzero(missing)[0])
                raise preferences.error(
                    i,
                    "participant_id",
                    f"unknown participant '{pref_pid[i].as_py()}' (not in {participants.source})",
                )
            pref_p = found.astype(np.int64)
            pids = np.asarray(pids_arr.to_numpy(zero_copy_only=False), dtype=object)
            for name in participants.columns:
                if name not in ("participant_id", "max_seats"):
                    p_attrs[name] = np.asarray(
                        participants.text(name).to_numpy(zero_copy_only=False), dtype=object
                    )
            if participants.has("max_seats"):
                max_seats = participants.integers("max_seats", minimum=1, default=1, what="a whole number")
            if participants.has("group"):
                group = p_attrs["group"]
        else:
            enc = pc.dictionary_encode(pref_pid)
            pref_p = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            pids = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object)

        rank = score = None
        if has_rank:
            rank = preferences.integers("rank", minimum=1, what="a whole-number rank")
        else:
            score = preferences.floats("score")
        o_attrs = {
            name: np.asarray(opportunities.text(name).to_numpy(zero_copy_only=False), dtype=object)
            for name in opportunities.columns
            if name not in ("opportunity_id", "capacity")
        }
        for have, need in (("start", "end"), ("end", "start")):
            if opportunities.has(have) and not opportunities.has(need):
                raise InputError(
                    f"column '{have}' needs a column '{need}' too: a time window has both ends, and "
                    "clashes are checked only on windows",
                    source=opportunities.source,
                    row=1 if opportunities.row_base == 2 else None,
                    field=need,
                )
        start = opportunities.times("start", assume_utc=True) if opportunities.has("start") else None
        end = opportunities.times("end", assume_utc=True) if opportunities.has("end") else None
        if start is not None and end is not None:
            opportunities.check_windows(start, end)
        meetings = _read_meetings(opportunities, start) if opportunities.has("meetings") else None
        min_size = (
            opportunities.integers("min_size", minimum=0, default=0, what="a whole number")
            if opportunities.has("min_size")
            else None
        )
        if min_size is not None:
            never = np.flatnonzero((min_size > cap) & (cap > 0))  # capacity 0: closed anyway
            if never.size:
                i = int(never[0])
                raise opportunities.error(
                    i,
                    "min_size",
                    f"min_size {min_size[i]} is more than the capacity {cap[i]}, so "
                    f"'{oids[i].as_py()}' could never run; lower min_size or raise capacity",
                )
        penalty = preferences.floats("penalty", default=0.0) if preferences.has("penalty") else None
        problem = cls(
            participant_ids=pids,
            opportunity_ids=np.asarray(oids.to_numpy(zero_copy_only=False), dtype=object),
            capacity=cap,
            pref_participant=pref_p,
            pref_opportunity=pref_o,
            rank=rank,
            score=score,
            options=opts,
            participant_attributes=p_attrs,
            opportunity_attributes=o_attrs,
            max_seats=max_seats,
            group=group,
            start=start,
            end=end,
            meetings=meetings,
            category=o_attrs.get("category"),
            min_size=min_size,
            penalty=penalty,
            ignored_columns=ignored,
            input_notes={
                t.source: tuple(t.notes)
                for t in (opportunities, preferences, participants)
                if t is not None and t.notes
            },
        )
        problem._validate(preferences, opportunities)
        return problem

    @classmethod
    def from_records(
        cls,
        *,
        opportunities: Sequence[Mapping[str, Any]],
        preferences: Sequence[Mapping[str, Any]],
        participants: Sequence[Mapping[str, Any]] | None = None,
        options: Options | Mapping[str, Any] | None = None,
        source: str = "problem",
    ) -> Problem:
        """Build from lists of dicts, the shape of the JSON input file."""
        opts = options if isinstance(options, Options) else Options.from_mapping(options, f"{source} options")
        try:
            return cls.from_tables(
                table_from_records(_meetings_as_text(opportunities, source), f"{source} opportunities"),
                table_from_records(preferences, f"{source} preferences"),
                None if participants is None else table_from_records(participants, f"{source} participants"),
                opts,
            )
        except InputError as exc:  # a rule's check of the options against the data says "options"
            if exc.source != "options":
                raise
            raise InputError(exc.message, source=f"{source} options", row=exc.row, field=exc.field) from None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str | None = None) -> Problem:
        """Build from the JSON input format, already parsed (``flok.io`` reads the file)."""
        source = source or "problem"
        if not isinstance(data, Mapping):
            raise InputError("expected a JSON object with opportunities and preferences", source=source)
        for key in ("opportunities", "preferences"):
            if key not in data:
                raise InputError(f"missing key '{key}'", source=source, field=key)
        extra = set(data) - {"opportunities", "preferences", "participants", "options"}
        if extra:
            raise InputError("unknown key", source=source, field=sorted(extra)[0])
        return cls.from_records(
            opportunities=data["opportunities"],
            preferences=data["preferences"],
            participants=data.get("participants"),
            options=data.get("options"),
            source=source,
        )

    # --- validation ------------------------------------------------------------------------
    def _validate(self, prefs: Table | None, opps: Table | None) -> None:
        def err(table: Table | None, name: str, i: int, fld: str, msg: str) -> InputError:
            if table is not None:
                return table.error(i, fld, msg)
            return InputError(msg, source=name, row=i + 1, field=fld)

        n, m = self.n_participants, self.n_opportunities
        if len(self.capacity) != m:
            raise InputError(
                "capacity must have one entry per opportunity", source="opportunities", field="capacity"
            )
        if m and self.capacity.min() < 0:
            i = int(np.argmin(self.capacity))
            raise err(opps, "opportunities", i, "capacity", "capacity must be ≥ 0")
        if self.start is not None and self.end is not None:
            backward = first_backwards(self.start, self.end)
            if backward is not None:  # from_tables reports this earlier; from_arrays only here
                raise err(opps, "opportunities", backward, "end", END_BEFORE_START)
        if self.meetings is not None:
            if len(self.meetings) != m:
                raise InputError(
                    "meetings must have one entry per opportunity", source="opportunities", field="meetings"
                )
            dated = self.start is not None and bool((~np.isnan(self.start)).any())
            if dated and any(map(len, self.meetings)):
                raise InputError(MIXED_TIMES, source="opportunities", field="meetings")
        if len(self.pref_participant) != len(self.pref_opportunity):
            raise InputError("preference arrays differ in length", source="preferences")
        e = self.n_preferences
        if e:
            bad = (self.pref_participant < 0) | (self.pref_participant >= n)
            if bad.any():
                raise err(
                    prefs,
                    "preferences",
                    int(np.flatnonzero(bad)[0]),
                    "participant_id",
                    "participant index out of range",
                )
            bad = (self.pref_opportunity < 0) | (self.pref_opportunity >= m)
            if bad.any():
                raise err(
                    prefs,
                    "preferences",
                    int(np.flatnonzero(bad)[0]),
                    "opportunity_id",
                    "opportunity index out of range",
                )
        uniq = pc.unique(pa.array(self.opportunity_ids.astype(str)))
        if len(uniq) != m:
            raise InputError("opportunity ids must be unique", source="opportunities", field="opportunity_id")
        if (self.rank is None) == (self.score is None):
            raise InputError("give exactly one of rank or score", source="preferences", field="rank")
        if self.rank is not None:
            if len(self.rank) != e:
                raise InputError(
                    "rank must have one entry per preference", source="preferences", field="rank"
                )
            if e and self.rank.min() < 1:
                i = int(np.argmin(self.rank))
                raise err(prefs, "preferences", i, "rank", f"rank must be ≥ 1, got {self.rank[i]}")
        if self.score is not None:
            if len(self.score) != e:
                raise InputError(
                    "score must have one entry per preference", source="preferences", field="score"
                )
            bad = ~np.isfinite(self.score)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise err(
                    prefs, "preferences", i, "score", f"score must be a finite number, got {self.score[i]}"
                )
        self._check_options()
        if e:
            pair = self.pref_participant * max(m, 1) + self.pref_opportunity
            dup = _first_duplicate(pair)
            if dup is not None:
                raise err(
                    prefs,
                    "preferences",
                    dup,
                    "opportunity_id",
                    f"participant '{self.participant_ids[self.pref_participant[dup]]}' lists "
                    f"opportunity '{self.opportunity_ids[self.pref_opportunity[dup]]}' twice",
                )
            if self.rank is not None:
                key = self.pref_participant * (int(self.rank.max()) + 1) + self.rank
                dup = _first_duplicate(key)
                if dup is not None:
                    raise err(
                        prefs,
                        "preferences",
                        dup,
                        "rank",
                        f"participant '{self.participant_ids[self.pref_participant[dup]]}' "
                        f"uses rank {self.rank[dup]} twice",
                    )


def _check_columns(
    opportunities: Table, preferences: Table, participants: Table | None
) -> dict[str, tuple[str, ...]]:
    """Refuse misspelt known columns; the unknown ones by source (they are ignored).

    Of ``rank``/``score`` only the one present is known, so an extra "scores" column next to
    ranks is listed as ignored rather than mistaken for a typo of the absent alternative.
    """
    given = [c for c in ("rank", "score") if preferences.has(c)] or ["rank", "score"]
    pref_known = [c for c in PREFERENCE_COLUMNS if c not in ("rank", "score") or c in given]
    out = {
        opportunities.source: check_columns(opportunities, OPPORTUNITY_COLUMNS),
        preferences.source: check_columns(preferences, pref_known),
    }
    if participants is not None:
        check_columns(participants, PARTICIPANT_COLUMNS, free_form=True)
    return {source: names for source, names in out.items() if names}


def _first_duplicate(keys: np.ndarray) -> int | None:
    """Index of the first row (in input order) whose key already appeared earlier."""
    sk = np.sort(keys, kind="stable")  # timsort: inputs grouped by participant are nearly sorted
    if not (sk[1:] == sk[:-1]).any():  # the usual case, without the costlier stable argsort
        return None
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    same = np.flatnonzero(sk[1:] == sk[:-1])
    if same.size == 0:
        return None
    return int(order[same + 1].min())


def _int_array(values: np.ndarray, name: str, source: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size and arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"must be a whole number, got {arr[i]}", source=source, row=i + 1, field=name)
    elif arr.size and arr.dtype.kind not in "iub":
        raise InputError("must be whole numbers", source=source, field=name)
    return arr.astype(np.int64)


def columns_table(columns: Mapping[str, Sequence[Any] | np.ndarray], source: str) -> Table:
    """Re-exported helper so callers can validate in-memory columns like a file."""
    return table_from_columns(columns, source)


MIXED_TIMES = (
    "weekly meetings and dated start/end windows cannot be compared (a weekly meeting has no "
    "date); give every timed opportunity a 'meetings' schedule, or every one a start and end"
)


def _meetings_as_text(records: Any, source: str) -> Any:
    """JSON opportunities with ``meetings`` lists turned into the one-cell text the CSV has."""
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        return records  # table_from_records reports the wrong shape
    out = []
    for i, rec in enumerate(records):
        if isinstance(rec, Mapping) and any(str(k).strip().lower() == "meetings" for k in rec):
            rec = dict(rec)
            for key in [k for k in rec if str(k).strip().lower() == "meetings"]:
                try:
                    rec[key] = meetings_text(rec[key])
                except ValueError as exc:
                    where = f"{source} opportunities"
                    raise InputError(str(exc), source=where, row=i + 1, field="meetings") from None
        out.append(rec)
    return out


def _read_meetings(opportunities: Table, start: np.ndarray | None) -> np.ndarray:
    """The ``meetings`` column as one weekly schedule per row; one kind of time per problem."""
    cells = opportunities.text("meetings").to_pylist()
    out = np.empty(len(cells), dtype=object)
    for i, cell in enumerate(cells):
        try:
            out[i] = parse_meetings(cell or "")
        except ValueError as exc:
            raise opportunities.error(i, "meetings", str(exc)) from None
    if start is not None:
        dated = np.flatnonzero(~np.isnan(start))
        weekly = [i for i, schedule in enumerate(out) if schedule]
        if dated.size and weekly:
            raise opportunities.error(max(int(dated[0]), weekly[0]), "meetings", MIXED_TIMES)
    return out


def _schedules(meetings: Sequence[str | Sequence[Sequence[int]]]) -> np.ndarray:
    """``from_arrays``'s meetings (text or minute pairs) as checked schedules, one per opportunity."""
    out = np.empty(len(meetings), dtype=object)
    for i, value in enumerate(meetings):
        try:
            out[i] = parse_meetings(value) if isinstance(value, str) else check_schedule(value)
        except ValueError as exc:
            raise InputError(str(exc), source="opportunities", row=i + 1, field="meetings") from None
    return out
