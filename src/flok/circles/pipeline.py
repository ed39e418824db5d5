"""`form`: validate, build candidates, solve each region exactly, split into circles, explain the rest."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from flok.circles.candidates import RegionCandidates
from flok.circles.candidates import build as build_candidates
from flok.circles.codes import Namer
from flok.circles.formation import RegionSolution, solve_region
from flok.circles.options import CircleOptions
from flok.circles.reasons import Unmatched, reason
from flok.circles.result import CircleResult, FormedCircle, RegionStats, circle_diversity
from flok.circles.roles import assign_roles
from flok.circles.roster import Participant, Roster, roster_from_tables
from flok.circles.split import split_group
from flok.circles.timeslots import cell_name
from flok.solvers.backends import DEFAULT_BACKEND, get_backend
from flok.table import Table


def form(
    participants: Table | Roster,
    circles: Table | None = None,
    options: CircleOptions | None = None,
    **overrides: Any,
) -> CircleResult:
    """Form and fill circles; the number matched is maximal (proven, or its bound is reported).

    Takes data, never a path: the participants (and existing circles) as string tables, or a roster
    already validated from them (then ``circles`` must be None). `flok.io.circles` reads files.
    """
    start = time.perf_counter()
    opts = replace(options or CircleOptions(), **overrides)
    opts.validate()
    get_backend(opts.backend)
    if isinstance(participants, Roster):
        if circles is not None:
            raise TypeError("form: pass the circles table only with a participants table, not a roster")
        roster = participants
    elif isinstance(participants, Table):
        roster = roster_from_tables(participants, circles, opts)
    else:
        raise TypeError(f"form takes a Table or a Roster, not {type(participants).__name__}")
    regions = build_candidates(roster, opts)
    if opts.workers > 1 and len(regions) > 1:
        # Processes, not threads: the solvers hold the GIL. Largest regions first balances the load.
        order = sorted(range(len(regions)), key=lambda i: -regions[i].arc_person.size)
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=opts.workers, mp_context=ctx) as pool:
            done = dict(
                zip(
                    order,
                    pool.map(solve_region, [regions[i] for i in order], [opts] * len(order)),
                    strict=True,
                )
            )
        solutions = [done[i] for i in range(len(regions))]
    else:
        solutions = [solve_region(c, opts) for c in regions]
    result = assemble(roster, regions, solutions, opts)
    result.total_seconds = time.perf_counter() - start
    return result


def assemble(
    roster: Roster, regions: list[RegionCandidates], solutions: list[RegionSolution], opts: CircleOptions
) -> CircleResult:
    universe = {
        a: len({p.attributes[k] for p in roster.people if p.attributes[k]})
        for k, a in enumerate(opts.attributes)
    }
    namer = Namer(
        opts.region_codes,
        ((c.circle_id, c.region, c.location, c.virtual) for c in roster.circles.values()),
    )
    formed: list[FormedCircle] = []
    stats: list[RegionStats] = []
    by_region = {r: c for c in regions for r in c.regions}
    for cand, sol in zip(regions, solutions, strict=True):
        members: list[tuple[str, str, str, str, bool, list[Participant]]] = []
        for cid in sorted(cand.fixed):
            circle = roster.circles[cid]
            group = cand.fixed[cid] + [cand.free[i] for i in sol.additions.get(cid, [])]
            where = roster.location_names.get(circle.location, "")
            members.append((cid, circle.region, where, circle.meeting_time, False, group))
        for s in sorted(sol.groups):
            where_pool, loc, cell = cand.slots[s]
            virtual = any(w in loc for w in opts.virtual_words)
            people = [cand.free[i] for i in sol.groups[s]]
            # The fewest circles the group needs: always feasible when the model's count was.
            count = -(-len(people) // opts.max_size)
            for group in split_group(people, count, opts.min_size, opts.max_size):
                # A shared virtual circle's region is its members' regions (issue 16, item 8).
                region = where_pool or " + ".join(sorted({p.region for p in group}))
                cid = namer.new_id(virtual, region, roster.location_names[loc])
                members.append((cid, region, roster.location_names[loc], cell_name(cell), True, group))
        for cid, region, where, when, new, group in members:
            roles, flags = assign_roles(group, cid)
            formed.append(
                FormedCircle(
                    circle_id=cid,
                    region=region,
                    location=where,
                    meeting_time=when,
                    new=new,
                    virtual=(
                        any(w in where.casefold() for w in opts.virtual_words)
                        if new
                        else roster.circles[cid].virtual
                    ),
                    members=tuple(group),
                    roles=roles,
                    flags=tuple(flags),
                    diversity=circle_diversity(group, opts.attributes, universe),
                )
            )
        fixed_count = sum(len(v) for v in cand.fixed.values())
        stats.append(
            RegionStats(
                region=cand.region,
                participants=len(cand.free) + fixed_count,
                matched=sol.matched_free + fixed_count,
                matched_bound=sol.matched_bound + fixed_count,
                status=sol.status,
                objective=sol.objective,
                objective_bound=sol.objective_bound,
                seconds=sol.seconds,
            )
        )
    placed = {p.pid for c in formed for p in c.members}
    proven = {r.region: r.matched == r.matched_bound for r in stats}
    unmatched = []
    for p in roster.people:
        if p.pid in placed:
            continue
        unit = by_region.get(p.region)
        code = reason(p, unit, roster, opts)
        if code == "not_selected" and unit is not None and not proven.get(unit.region, True):
            code = "not_selected_unproven"  # issue 16, item 3: never claim a proof we lack
        unmatched.append(Unmatched(p.pid, p.region, code))
    return CircleResult(
        options=opts,
        people=roster.people,
        circles=formed,
        unmatched=unmatched,
        regions=stats,
        existing=roster.circles,
        issues=roster.issues,
        warnings=roster.warnings,
        notes=roster.notes,
        backend=DEFAULT_BACKEND if opts.backend == "auto" else opts.backend,
    )
