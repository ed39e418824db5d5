"""An independent oracle: the naive per-circle model (x[p,c], y[c]) solved by CP-SAT.

It does not use flok.circles' candidates, formation or split: candidate circles are copies of every
(location, time cell) at that location, built here from the raw wishes. An in-person circle belongs
to one region; a location the caller names in ``shared`` (a virtual location naming a time zone,
issue 16 item 8) gets circles open to everyone, whatever their region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from flok.circles.options import CircleOptions
from flok.circles.roster import Participant
from flok.circles.timeslots import N_CELLS


@dataclass(frozen=True)
class OracleCircle:
    location: str
    cell: int | None  # None: an existing circle
    capacity: int  # existing: max additions; new: max size
    bonus: int
    mask: int
    region: str | None = None  # None: open to every region


def accept_points(p: Participant, location: str, mask: int, opts: CircleOptions) -> int | None:
    if location not in p.locations:
        return None
    for k, t in enumerate(p.times):
        if t & mask:
            return opts.weights.location[p.locations.index(location)] + opts.weights.time[k]
    return None


def solve(
    free: list[Participant],
    existing: Sequence[tuple[str, int, int, int] | tuple[str, int, int, int, str | None]],
    opts: CircleOptions,
    shared: frozenset[str] = frozenset(),
) -> tuple[int, int]:
    """(max matched, best weighted score at that count) for these free people.

    ``existing`` holds (location key, meeting mask, max additions, current members[, region]) of
    circles open to newcomers; without a region, or at a ``shared`` location, anyone may join.
    """
    w = opts.weights
    circles: list[OracleCircle] = []
    for loc, mask, cap, size, *rest in existing:
        bonus = w.existing + (w.small_circle if size in (2, 3) else w.four_circle if size == 4 else 0)
        region = None if loc in shared or not rest else rest[0]
        circles.append(OracleCircle(loc, None, cap, bonus, mask, region))
    locations = sorted({loc for p in free for loc in p.locations})
    for loc in locations:
        groups = [None] if loc in shared else sorted({p.region for p in free})
        for region in groups:
            for cell in range(N_CELLS):
                mask = 1 << cell
                fits = [
                    p
                    for p in free
                    if (region is None or p.region == region)
                    and accept_points(p, loc, mask, opts) is not None
                ]
                for _ in range(len(fits) // opts.min_size):
                    circles.append(OracleCircle(loc, cell, opts.max_size, 0, mask, region))

    def model(min_matched: int | None) -> tuple[int, int]:
        m = cp_model.CpModel()
        x: dict[tuple[int, int], cp_model.IntVar] = {}
        score = []
        for i, p in enumerate(free):
            for j, c in enumerate(circles):
                if c.region is not None and c.region != p.region:
                    continue
                pts = accept_points(p, c.location, c.mask, opts)
                if pts is not None:
                    x[i, j] = m.new_bool_var(f"x{i}_{j}")
                    score.append((w.match + pts + c.bonus) * x[i, j])
        for i in range(len(free)):
            m.add(sum(v for (a, _), v in x.items() if a == i) <= 1)
        penalty = []
        for j, c in enumerate(circles):
            members = [v for (_, b), v in x.items() if b == j]
            if c.cell is None:
                m.add(sum(members) <= c.capacity)
                continue
            y = m.new_bool_var(f"y{j}")
            penalty.append(w.new_circle * y)
            m.add(sum(members) >= opts.min_size * y)
            m.add(sum(members) <= opts.max_size * y)
            hosts = [
                2 * v if free[i].host == 2 else v for (i, b), v in x.items() if b == j and free[i].host > 0
            ]
            m.add(sum(hosts) >= 2 * y)
        matched = sum(x.values())
        if min_matched is None:
            m.maximize(matched)
        else:
            m.add(matched >= min_matched)
            m.maximize(sum(score) - sum(penalty))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 30
        status = solver.solve(m)
        assert status == cp_model.OPTIMAL, solver.status_name(status)
        return int(sum(solver.value(v) for v in x.values())), round(solver.objective_value)

    best, _ = model(None)
    _, score_value = model(best)
    return best, score_value
