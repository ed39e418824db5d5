"""An independent check of any allocation against its problem.

Written without the solvers' code so a solver bug cannot hide behind a shared helper; tests
run it on the output of every strategy.
"""

from __future__ import annotations

import numpy as np

from flok.model import Problem


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
    width = max(m, 1)
    keys = part * width + opp
    sorted_keys = np.sort(keys)
    if (sorted_keys[1:] == sorted_keys[:-1]).any():
        out.append("a participant holds two seats in the same opportunity")
    seats = np.bincount(part, minlength=n)
    max_seats = 1
    if (seats > max_seats).any():
        i = int(np.flatnonzero(seats > max_seats)[0])
        out.append(f"participant {problem.participant_ids[i]} holds {seats[i]} seats (max {max_seats})")
    used = np.bincount(opp, minlength=m)
    over = np.flatnonzero(used > problem.capacity)
    for o in over[:5]:
        out.append(
            f"opportunity {problem.opportunity_ids[o]} has {used[o]} participants "
            f"for {problem.capacity[o]} seats"
        )
    if not problem.options.fill_unlisted:
        ok = np.ones(problem.n_preferences, dtype=bool)
        if problem.score is not None:
            ok = problem.score >= problem.options.min_score
        allowed = np.sort(problem.pref_participant[ok] * width + problem.pref_opportunity[ok])
        pos = np.minimum(np.searchsorted(allowed, keys), max(allowed.size - 1, 0))
        hit = allowed[pos] == keys if allowed.size else np.zeros(keys.size, dtype=bool)
        bad = np.flatnonzero(~hit)
        for i in bad[:5]:
            out.append(
                f"participant {problem.participant_ids[part[i]]} was given "
                f"{problem.opportunity_ids[opp[i]]}, which they did not accept"
            )
    if not problem.options.allow_unassigned:
        missing = np.flatnonzero(seats == 0)
        if missing.size:
            out.append(f"{missing.size} participant(s) have no seat although allow_unassigned=false")
    return out
