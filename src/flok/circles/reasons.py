"""Why an unmatched participant is unmatched, in a code a program can count and words a person reads.

Checked from the most basic cause to the most contextual one, so the first that applies is the
most useful thing to tell the participant.
"""

from __future__ import annotations

from dataclasses import dataclass

from flok.circles.candidates import RegionCandidates, may_join, pool, preference_points
from flok.circles.options import CircleOptions
from flok.circles.roster import Participant, Roster

TEXT = {
    "moving_out": "moving out, so not placed",
    "no_location": "no location given",
    "no_time": "no readable meeting time given",
    "only_one_at_location": "only one person wanted that location",
    "no_compatible_time": "no meeting time at their locations that enough people share",
    "circle_full": ("the compatible existing circles are full, or their co-leaders take no more newcomers"),
    "no_host": "no host available among the people who share their location and time",
    "not_selected": "compatible groups were filled; no formation matches more people",
    "not_selected_unproven": (
        "not placed in the best formation found within the time limit; it is not proven that "
        "no formation places more people (raise the time limit)"
    ),
}


@dataclass(frozen=True)
class Unmatched:
    pid: str
    region: str
    code: str

    @property
    def text(self) -> str:
        return TEXT[self.code]


def reason(
    p: Participant,
    cand: RegionCandidates | None,
    roster: Roster,
    options: CircleOptions,
) -> str:
    if p.status == "MOVING_OUT":
        return "moving_out"
    if not p.locations:
        return "no_location"
    if not any(p.times):
        return "no_time"
    accepted = 0
    for t in p.times:
        accepted |= t
    compatible = [
        c
        for c in roster.circles.values()
        if options.mode != "dissolve"
        and may_join(p, c, roster, options)
        and preference_points(p, c.location, c.mask, options.weights) is not None
    ]
    demand = cand.location_demand if cand else {}
    mine = {(pool(p, loc, roster, options), loc) for loc in p.locations}
    if all(demand.get(key, 0) <= 1 for key in mine) and not compatible:
        return "only_one_at_location"
    stats = cand.slot_stats if cand else {}
    shared = [
        s
        for (where, loc, cell), s in stats.items()
        if (where, loc) in mine and accepted >> cell & 1 and s.eligible >= options.min_size
    ]
    hosted = [s for s in shared if 2 * s.always + s.sometimes >= 2]
    if not hosted and compatible:
        return "circle_full"
    if not shared:
        return "no_compatible_time"
    if not hosted:
        return "no_host"
    return "not_selected"
