"""Where each free participant could go: new-circle slots (location × meeting time) and existing circles.

A slot that fewer than ``min_size`` people accept, or whose accepters cannot supply a host set, can
never open, so it is dropped here; the counts are kept for the unmatched reasons.

In-person circles stay inside a region. A virtual location that names a time zone ("Virtual –
Pacific Time") is one place for everyone who chose it, whatever their region (issue 16, item 8):
its slots belong to no region (pool ``""``), and regions whose people share such a location are
solved together in one model, so a person who accepts in-person and virtual circles is a candidate
for both and still placed at most once. A bare "Virtual" names no time zone, so its meeting times
are the region's local times and it stays a place of that region.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from flok.circles.codes import time_zone_code
from flok.circles.options import CircleOptions, Weights
from flok.circles.roster import ALWAYS, SOMETIMES, ExistingCircle, Participant, Roster
from flok.circles.timeslots import N_CELLS


@dataclass(frozen=True)
class SlotStats:
    eligible: int
    always: int
    sometimes: int


Slot = tuple[str, str, int]  # (pool: a region, or "" for a shared virtual location; location key; cell)


@dataclass
class RegionCandidates:
    """One solve unit's free people, fixed circles and the arcs (person, option, points) between them.

    A unit is one region, or several regions joined by a shared virtual location (``regions``)."""

    region: str  # the unit's name: its region, or its regions joined by " + "
    free: list[Participant]
    fixed: dict[str, list[Participant]]  # existing circle id → members who stay in it
    slots: list[Slot]  # every slot that could open
    existing: list[ExistingCircle]  # existing circles that may take newcomers
    arc_person: np.ndarray  # index into ``free``
    arc_option: np.ndarray  # < len(slots): slot; otherwise existing[i - len(slots)]
    arc_points: np.ndarray  # preference points and bonuses of that placement (without the match weight)
    slot_stats: dict[Slot, SlotStats] = field(default_factory=dict)  # every slot, kept or not
    location_demand: dict[tuple[str, str], int] = field(default_factory=dict)  # (pool, location) → people
    regions: tuple[str, ...] = ()  # the regions solved in this unit (``(region,)`` when alone)

    @property
    def n_options(self) -> int:
        return len(self.slots) + len(self.existing)


def is_fixed(p: Participant, roster: Roster, options: CircleOptions) -> bool:
    """Continuing members stay in their circle unless the mode dissolves circles."""
    return (
        options.mode != "dissolve"
        and p.status == "CONTINUING"
        and bool(p.current_circle)
        and p.current_circle in roster.circles
    )


def is_shared(location: str, roster: Roster, options: CircleOptions) -> bool:
    """A virtual location naming a time zone: one place across regions (see the module docstring)."""
    name = roster.location_names.get(location, location)
    return any(w in location for w in options.virtual_words) and time_zone_code(name) is not None


def pool(p: Participant, location: str, roster: Roster, options: CircleOptions) -> str:
    """The pool of a person's location: "" for a shared virtual location, else their region."""
    return "" if is_shared(location, roster, options) else p.region


def may_join(p: Participant, circle: ExistingCircle, roster: Roster, options: CircleOptions) -> bool:
    """Region rule for an existing circle: the same region, or a shared virtual location."""
    return circle.region == p.region or is_shared(circle.location, roster, options)


def preference_points(p: Participant, location: str, mask: int, weights: Weights) -> int | None:
    """Location plus time points of a placement, or None when the person does not accept it."""
    if location not in p.locations:
        return None
    for k, wish in enumerate(p.times):
        if wish & mask:
            return weights.location[p.locations.index(location)] + weights.time[k]
    return None


def existing_bonus(members: int, weights: Weights) -> int:
    bonus = weights.existing
    if members in (2, 3):
        bonus += weights.small_circle
    elif members == 4:
        bonus += weights.four_circle
    return bonus


def build(roster: Roster, options: CircleOptions) -> list[RegionCandidates]:
    """Candidates for every solve unit that has anyone to place, in a stable order.

    Regions are joined (union-find) when a free person of one names a shared virtual location that
    people of another also name, or that an existing circle open to newcomers of another uses.
    """
    regions: dict[str, list[Participant]] = defaultdict(list)
    fixed: dict[str, dict[str, list[Participant]]] = defaultdict(dict)
    for p in roster.people:
        if p.status == "MOVING_OUT":
            continue
        if is_fixed(p, roster, options):
            circle = roster.circles[p.current_circle]
            fixed[circle.region].setdefault(circle.circle_id, []).append(p)
        else:
            regions[p.region].append(p)
    names = sorted(set(regions) | set(fixed))
    parent = {r: r for r in names}

    def find(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    first_region: dict[str, str] = {}  # shared location → the first region seen naming it
    links = [(p.region, loc) for r in names for p in regions.get(r, []) for loc in p.locations]
    if options.mode != "dissolve":
        links += [
            (c.region, c.location) for r in names for cid in fixed.get(r, {}) for c in [roster.circles[cid]]
        ]
    for region, loc in links:
        if not is_shared(loc, roster, options):
            continue
        other = first_region.setdefault(loc, region)
        parent[find(region)] = find(other)
    units: dict[str, list[str]] = defaultdict(list)
    for r in names:
        units[find(r)].append(r)
    out = []
    for members in sorted(units.values()):
        free = [p for r in members for p in regions.get(r, [])]
        fixed_unit = {cid: ps for r in members for cid, ps in fixed.get(r, {}).items()}
        out.append(_region(" + ".join(members), tuple(members), free, fixed_unit, roster, options))
    return out


def _region(
    region: str,
    members: tuple[str, ...],
    free: list[Participant],
    fixed: dict[str, list[Participant]],
    roster: Roster,
    options: CircleOptions,
) -> RegionCandidates:
    w = options.weights
    counts: dict[Slot, list[int]] = defaultdict(lambda: [0, 0, 0])
    demand: dict[tuple[str, str], int] = defaultdict(int)
    pools = [tuple(pool(p, loc, roster, options) for loc in p.locations) for p in free]
    for p, p_pools in zip(free, pools, strict=True):
        accepted = 0
        for t in p.times:
            accepted |= t
        for loc, where in zip(p.locations, p_pools, strict=True):
            demand[(where, loc)] += 1
            for cell in range(N_CELLS):
                if accepted >> cell & 1:
                    c = counts[(where, loc, cell)]
                    c[0] += 1
                    c[1] += p.host == ALWAYS
                    c[2] += p.host == SOMETIMES
    stats = {k: SlotStats(*v) for k, v in counts.items()}
    slots = sorted(
        k for k, s in stats.items() if s.eligible >= options.min_size and 2 * s.always + s.sometimes >= 2
    )
    slot_index = {s: i for i, s in enumerate(slots)}
    open_existing = []
    if options.mode != "dissolve":  # preserve too: the limit is 0 unless co-leaders or staff allowed more
        open_existing = [
            roster.circles[cid]
            for cid in sorted(fixed)
            if roster.circles[cid].max_additions > 0 and roster.circles[cid].location
        ]
    arcs_p: list[int] = []
    arcs_o: list[int] = []
    arcs_v: list[int] = []
    for i, p in enumerate(free):
        for loc, where in zip(p.locations, pools[i], strict=True):
            for k, wish in enumerate(p.times):
                for cell in range(N_CELLS):
                    if not wish >> cell & 1:
                        continue
                    j = slot_index.get((where, loc, cell))
                    # Only the best-ranked wish that contains the cell counts, so skip repeats.
                    if j is None or any(p.times[q] >> cell & 1 for q in range(k)):
                        continue
                    arcs_p.append(i)
                    arcs_o.append(j)
                    arcs_v.append(w.location[p.locations.index(loc)] + w.time[k])
        for e, circle in enumerate(open_existing):
            if not may_join(p, circle, roster, options):
                continue
            pts = preference_points(p, circle.location, circle.mask, w)
            if pts is not None:
                arcs_p.append(i)
                arcs_o.append(len(slots) + e)
                arcs_v.append(pts + existing_bonus(len(fixed[circle.circle_id]), w))
    arc_p, arc_o, arc_v = (np.asarray(a, dtype=np.int64) for a in (arcs_p, arcs_o, arcs_v))
    if options.prune:
        slots, arc_p, arc_o, arc_v = prune_dominated(slots, len(free), arc_p, arc_o, arc_v)
    return RegionCandidates(
        region=region,
        free=free,
        fixed=fixed,
        slots=slots,
        existing=open_existing,
        arc_person=arc_p,
        arc_option=arc_o,
        arc_points=arc_v,
        slot_stats=stats,
        location_demand=dict(demand),
        regions=members,
    )


def prune_dominated(
    slots: list[Slot], n_free: int, arc_p: np.ndarray, arc_o: np.ndarray, arc_v: np.ndarray
) -> tuple[list[Slot], np.ndarray, np.ndarray, np.ndarray]:
    """Drop slot A when another slot B is accepted by everyone who accepts A, at no fewer points.

    Exact: any group meeting at A can move to B (sizes and host counts add up, points do not drop),
    and identical slots (the same people at the same points) keep only the first.
    """
    n_slots = len(slots)
    is_slot = arc_o < n_slots
    if n_slots < 2:
        return slots, arc_p, arc_o, arc_v
    # Points are ≥ 0 (weights are validated), so 0 can mean "does not accept" after adding 1.
    table = np.zeros((n_slots, n_free), dtype=np.int64)
    table[arc_o[is_slot], arc_p[is_slot]] = arc_v[is_slot] + 1
    keep = np.ones(n_slots, dtype=bool)
    for i in range(n_slots):
        covers = (table >= table[i]).all(axis=1) & keep
        covers[i] = False
        equal = covers & (table == table[i]).all(axis=1)
        if (covers & ~equal).any() or equal[:i].any():
            keep[i] = False
    new_index = np.cumsum(keep) - 1
    kept_arc = ~is_slot | keep[np.minimum(arc_o, n_slots - 1)]
    arc_p, arc_o, arc_v = arc_p[kept_arc], arc_o[kept_arc], arc_v[kept_arc]
    slot_arc = arc_o < n_slots
    arc_o = np.where(slot_arc, new_index[np.minimum(arc_o, n_slots - 1)], arc_o - n_slots + int(keep.sum()))
    return [s for s, k in zip(slots, keep, strict=True) if k], arc_p, arc_o, arc_v
