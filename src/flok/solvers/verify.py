"""An independent check of any allocation against its problem.

Written without the solvers' code so a solver bug cannot hide behind a shared helper; tests
run it on the output of every strategy. Hard rules only: soft penalties are objectives. The
core rules (seats, capacity, acceptable pairs, allow_unassigned) are checked here; each side
rule's ``check`` (``flok/solvers/rules/``) is its own code, not the rows it builds.
"""

from __future__ import annotations

import numpy as np

from flok.model import Problem
from flok.solvers.rules import RULES, Held


def violations(problem: Problem, participant: np.ndarray, opportunity: np.ndarray) -> list[str]:
    """Every rule the allocation breaks, as sentences; an empty list means it is valid."""
    out: list[str] = []
    n, m = problem.n_participants, problem.n_opportunities
    part = np.asarray(participant, dtype=np.int64)
    opp = np.asarray(opportunity, dtype=np.int64)
    if part.shape != opp.shape:
        return ["participant and opportunity arrays differ in length"]
    if part.size and (part.min() < 0 or part.max() >= n):
        return ["participant index out of range"]
    if opp.size and (opp.min() < 0 or opp.max() >= m):
        return ["opportunity index out of range"]
    pids, oids = problem.participant_ids, problem.opportunity_ids
    width = max(m, 1)
    keys = part * width + opp
    sorted_keys = np.sort(keys)
    if (sorted_keys[1:] == sorted_keys[:-1]).any():
        out.append("a participant holds two seats in the same opportunity")
    seats = np.bincount(part, minlength=n)
    allowed_seats = problem.max_seats if problem.max_seats is not None else np.ones(n, dtype=np.int64)
    for i in np.flatnonzero(seats > allowed_seats)[:5]:
        out.append(f"participant {pids[i]} holds {seats[i]} seats (max {allowed_seats[i]})")
    used = np.bincount(opp, minlength=m)
    for o in np.flatnonzero(used > problem.capacity)[:5]:
        out.append(f"opportunity {oids[o]} has {used[o]} participants for {problem.capacity[o]} seats")
    if not problem.options.fill_unlisted:
        ok = np.ones(problem.n_preferences, dtype=bool)
        if problem.score is not None:
            ok = problem.score >= problem.options.min_score
        allowed = problem.pref_participant[ok] * width + problem.pref_opportunity[ok]
        if problem.options.forced:  # a forced pair is acceptable by definition
            forced = problem.pair_indices(problem.options.forced, "forced")
            allowed = np.concatenate([allowed, forced[:, 0] * width + forced[:, 1]])
        allowed = np.sort(allowed)
        pos = np.minimum(np.searchsorted(allowed, keys), max(allowed.size - 1, 0))
        hit = allowed[pos] == keys if allowed.size else np.zeros(keys.size, dtype=bool)
        for i in np.flatnonzero(~hit)[:5]:
            out.append(f"participant {pids[part[i]]} was given {oids[opp[i]]}, which they did not accept")
    if not problem.options.allow_unassigned:
        missing = np.flatnonzero(seats == 0)
        if missing.size:
            out.append(f"{missing.size} participant(s) have no seat although allow_unassigned=false")
    held = Held(problem, part, opp)
    for rule in RULES:  # each rule's own check, which shares no code with its rows
        out += rule.check(held)
    return out
