"""An independent check of any allocation against its problem.

Written without the solvers' code so a solver bug cannot hide behind a shared helper; tests
run it on the output of every strategy. Hard rules only: soft penalties are objectives.
"""

from __future__ import annotations

from collections import defaultdict

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
    out += _side_rules(problem, part, opp, used)
    return out


def _side_rules(problem: Problem, part: np.ndarray, opp: np.ndarray, used: np.ndarray) -> list[str]:
    out: list[str] = []
    opts = problem.options
    pids, oids = problem.participant_ids, problem.opportunity_ids
    index_o = {str(o): i for i, o in enumerate(oids)}
    if opts.forbidden or opts.forced:
        pairs = set(zip(part.tolist(), opp.tolist(), strict=True))
        index_p = {str(p): i for i, p in enumerate(pids)}
        for pid, oid in opts.forbidden:
            if (index_p[pid], index_o[oid]) in pairs:
                out.append(f"forbidden pair ({pid}, {oid}) was assigned")
        for pid, oid in opts.forced:
            if (index_p[pid], index_o[oid]) not in pairs:
                out.append(f"forced pair ({pid}, {oid}) was not assigned")
    held: dict[int, list[int]] = defaultdict(list)
    if problem.max_seats is not None or problem.group is not None or opts.category_limit:
        for p, o in zip(part.tolist(), opp.tolist(), strict=True):
            held[p].append(o)
    if problem.start is not None and problem.end is not None:
        start, end = problem.start, problem.end
        for p, opps in held.items():
            for i, a in enumerate(opps):
                for b in opps[i + 1 :]:
                    if (
                        not np.isnan(start[a])
                        and not np.isnan(start[b])
                        and not np.isnan(end[a])
                        and not np.isnan(end[b])
                        and start[a] < end[b]
                        and start[b] < end[a]
                    ):
                        out.append(f"participant {pids[p]} holds clashing {oids[a]} and {oids[b]}")
    if problem.options.category_limit and problem.category is not None:
        limits = dict(problem.options.category_limit)
        for p, opps in held.items():
            counts: dict[str, int] = defaultdict(int)
            for o in opps:
                if problem.category[o]:
                    counts[str(problem.category[o])] += 1
            for cat, k in counts.items():
                limit = limits.get(cat, limits.get("*"))
                if limit is not None and k > limit:
                    out.append(f"participant {pids[p]} holds {k} seats in category {cat} (max {limit})")
    if problem.min_size is not None:
        for o in np.flatnonzero((used > 0) & (used < problem.min_size)):
            out.append(
                f"opportunity {oids[o]} runs with {used[o]} participants, below its minimum "
                f"{problem.min_size[o]}"
            )
    if problem.group is not None and problem.options.group_mode == "hard":
        by_group: dict[str, list[int]] = defaultdict(list)
        for p, g in enumerate(problem.group):
            if g:
                by_group[str(g)].append(p)
        for g, members in by_group.items():
            sets = {tuple(sorted(held.get(p, []))) for p in members}
            if len(sets) > 1:
                out.append(f"group {g} is split across different opportunities")
    for q in problem.options.quotas:
        attr = problem.participant_attributes[q.attribute]
        targets = [index_o[q.opportunity]] if q.opportunity else range(problem.n_opportunities)
        for o in targets:
            members = part[opp == o]
            count = int(sum(1 for p in members.tolist() if str(attr[p]) == q.value))
            total = int(members.size)
            if q.max is not None and count > q.max:
                out.append(f"opportunity {oids[o]} has {count} with {q.attribute}={q.value} (max {q.max})")
            if q.min is not None and total > 0 and count < q.min:
                out.append(f"opportunity {oids[o]} has {count} with {q.attribute}={q.value} (min {q.min})")
            if q.max_share is not None and count > q.max_share * total + 1e-9:
                out.append(
                    f"opportunity {oids[o]} has {count} of {total} with {q.attribute}={q.value} "
                    f"(max share {q.max_share:.0%})"
                )
    return out
