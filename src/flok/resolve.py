"""Re-solve after changes with minimal disruption: keep people where they are, then the usual optimum.

An allocation is not the end: people withdraw, late students arrive, a tutor falls ill. The new
:class:`~flok.model.Problem` describes the situation now; ``previous`` is who held which seat.

- ``strict``: lexicographically, keep as many previous seats as possible (a seat that
  disappeared, or is no longer acceptable, cannot be kept), then seat as many people as
  possible, then the problem's own objective. Nobody moves unless the change forces it.
- ``balanced``: most seats first, then the objective with each previous seat given up costing
  ``move_cost`` rank steps (score points in score mode).
- ``free``: a plain re-solve.

Exactness: ``strict`` runs on the flow when the problem has no side rules (objective ``sum``,
people may stay unassigned): kept seats are fixed and the rest solved as a smaller problem;
an opportunity that shrank below its previous holders is filled by them, chosen with a bonus
that outweighs every rank (exact: a most-seats allocation can always keep it full). Otherwise the
exact side-rule solvers put a "seats kept" stage first (``Options.keep``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any, Literal

import numpy as np

from flok.allocation import Allocation, compute_stats
from flok.engine import allocate
from flok.errors import InputError, SolverError
from flok.model import Problem
from flok.solvers.native import WarmStart
from flok.solvers.plain import pair_member
from flok.solvers.rules import side_constraints
from flok.solvers.verify import violations

Stability = Literal["strict", "balanced", "free"]
STABILITIES = ("strict", "balanced", "free")
Change = Literal["kept", "moved", "seated", "unseated", "waiting"]
"""kept: same seats; moved: other seats; seated: none before; unseated: none now; waiting: none
before or now."""


@dataclass(frozen=True)
class PersonChange:
    """One participant's seats before and after, and why they changed."""

    participant_id: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    change: Change
    why: str = ""


@dataclass
class Resolution:
    """The new allocation and, per person, what happened to their seats."""

    allocation: Allocation
    stability: Stability
    changes: list[PersonChange] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("kept", "moved", "seated", "unseated", "waiting"), 0)
        for c in self.changes:
            out[c.change] += 1
        return out

    def diff(self) -> list[PersonChange]:
        """Only the people whose seats changed (``diff.csv``)."""
        return [c for c in self.changes if c.change not in ("kept", "waiting")]

    def summary(self) -> str:
        c = self.counts()
        return (
            f"Re-solved with stability={self.stability}: kept {c['kept']}, moved {c['moved']}, "
            f"newly seated {c['seated']}, unseated {c['unseated']}"
        )


def resolve(
    problem: Problem,
    previous: list[tuple[str, str]] | tuple[tuple[str, str], ...],
    *,
    stability: str = "strict",
    move_cost: float = 1.0,
    strategy: str = "auto",
    withdrawn: tuple[str, ...] = (),
    warm: WarmStart | None = None,
) -> Resolution:
    """The allocation for ``problem`` that disturbs ``previous`` least, as ``stability`` says.

    ``previous`` pairs naming a participant the problem no longer has are withdrawals; they are
    reported as unseated ("withdrawn"), as are the ids in ``withdrawn``. ``warm`` (the previous
    allocation's ``warm``, when it is still in memory) starts the plain flow solves of ``free`` and
    ``strict`` from that optimum on the native engine: the same answer (measured no faster than a
    cold solve after a 1% change; the README's performance section says why).
    """
    if stability not in STABILITIES:
        raise InputError(f"must be one of {', '.join(STABILITIES)}, got '{stability}'", field="stability")
    if not np.isfinite(move_cost) or move_cost < 0:
        raise InputError(f"must be a finite number ≥ 0, got {move_cost}", field="move_cost")
    pidx = {str(p): i for i, p in enumerate(problem.participant_ids)}
    oidx = {str(o): i for i, o in enumerate(problem.opportunity_ids)}
    before: dict[str, list[str]] = defaultdict(list)
    for pid, oid in previous:
        before[str(pid)].append(str(oid))
    t0 = perf_counter()
    valid, lost = _valid_previous(problem, before, pidx, oidx)
    if stability == "free":
        result = allocate(problem, strategy, warm=warm)
    elif stability == "balanced":
        result = _balanced(problem, valid, move_cost, strategy)
    else:
        result = _strict(problem, valid, strategy, warm)
    changes = _changes(problem, result, before, lost, set(withdrawn))
    counts = Resolution(result, stability, changes).counts()  # type: ignore[arg-type]
    # The honest label of what this allocation is (report.json "resolve").
    label: dict[str, Any] = {"stability": stability, "label": f"{result.status} under stability={stability}"}
    label["counts"] = counts
    if stability == "balanced":
        label["move_cost"] = move_cost
    result = replace(
        result,
        stats=replace(result.stats, total_seconds=perf_counter() - t0),
        details=result.details | {"resolve": label},
    )
    return Resolution(result, stability, changes)  # type: ignore[arg-type]


def _valid_previous(
    problem: Problem, before: dict[str, list[str]], pidx: dict[str, int], oidx: dict[str, int]
) -> tuple[list[tuple[int, int]], dict[tuple[str, str], str]]:
    """Previous seats that can still be held, and why each other one cannot.

    Whether a seat is still among the person's preferences is one `_member` test over pair keys
    (participant × opportunities + opportunity), not a set of every ranked pair: at 100k × 2k
    that set alone took a quarter of a second of the re-solve."""
    pairs = [(pid, oid) for pid, oids in before.items() for oid in oids]
    p = np.fromiter((pidx.get(pid, -1) for pid, _ in pairs), dtype=np.int64, count=len(pairs))
    o = np.fromiter((oidx.get(oid, -1) for _, oid in pairs), dtype=np.int64, count=len(pairs))
    m = max(problem.n_opportunities, 1)
    ranked = np.ones(problem.pref_participant.size, dtype=bool)
    if problem.score is not None:  # a pair below min_score is not acceptable any more
        ranked = problem.score >= problem.options.min_score
    keys = problem.pref_participant[ranked].astype(np.int64) * m + problem.pref_opportunity[ranked]
    listed = (p >= 0) & (o >= 0) & pair_member(p * m + o, keys)
    capacity = problem.capacity if problem.capacity.size else np.zeros(1, dtype=np.int64)
    seats = np.where(o >= 0, capacity[np.maximum(o, 0)], 0)
    forced = {(pidx.get(a), oidx.get(b)) for a, b in problem.options.forced}
    forbidden = {(pidx.get(a), oidx.get(b)) for a, b in problem.options.forbidden}
    fill = problem.options.fill_unlisted
    valid: list[tuple[int, int]] = []
    lost: dict[tuple[str, str], str] = {}
    for k, (pid, oid) in enumerate(pairs):
        pk, ok = int(p[k]), int(o[k])
        if pk < 0:
            lost[(pid, oid)] = "withdrawn"
        elif ok < 0:
            lost[(pid, oid)] = f"{oid} was cancelled"
        elif seats[k] == 0:
            lost[(pid, oid)] = f"{oid} has no seats now"
        elif forbidden and (pk, ok) in forbidden:
            lost[(pid, oid)] = f"{oid} is now forbidden for them"
        elif not listed[k] and not fill and (pk, ok) not in forced:
            lost[(pid, oid)] = f"{oid} is no longer among their preferences"
        else:
            valid.append((pk, ok))
    return valid, lost


def _balanced(problem: Problem, valid: list[tuple[int, int]], move_cost: float, strategy: str) -> Allocation:
    """Most seats, then the objective with a bonus of ``move_cost`` on every previous seat kept.

    A bonus on kept seats is a cost on seats given up (the two differ by a constant), and it is
    a per-pair penalty, which every strategy counts exactly.
    """
    if problem.options.objective != "sum":
        raise InputError("stability 'balanced' works with the objective 'sum'", field="stability")
    if problem.options.fill_unlisted:
        raise InputError(
            "stability 'balanced' does not work with fill_unlisted yet; use strict or free", field="stability"
        )
    m = max(problem.n_opportunities, 1)
    valid_keys = np.array([p * m + o for p, o in valid], dtype=np.int64)
    kept = pair_member(problem.pref_participant.astype(np.int64) * m + problem.pref_opportunity, valid_keys)
    base = np.zeros(problem.n_preferences) if problem.penalty is None else problem.penalty
    adjusted = replace(problem, penalty=base - move_cost * kept)
    result = allocate(adjusted, strategy)
    return _on(problem, result.participant, result.opportunity, result, {"move_cost": move_cost})


def _strict(
    problem: Problem, valid: list[tuple[int, int]], strategy: str, warm: WarmStart | None = None
) -> Allocation:
    holders: dict[int, list[int]] = defaultdict(list)
    for p, o in valid:
        holders[o].append(p)
    per_person = np.bincount(
        np.array([p for p, _ in valid], dtype=np.int64), minlength=problem.n_participants
    )
    plain = (
        bool((per_person <= problem.seats_allowed()).all())  # nobody holds more seats than allowed now
        and not side_constraints(problem)
        and problem.options.objective == "sum"
        and problem.options.allow_unassigned
        and strategy in ("auto", "min_cost_flow", "native_flow")
    )
    if not plain:  # the exact side-rule solvers keep first, in their own stage
        keep = tuple((str(problem.participant_ids[p]), str(problem.opportunity_ids[o])) for p, o in valid)
        result = allocate(problem.with_options(keep=keep), strategy)
        return _on(problem, result.participant, result.opportunity, result, {})
    return _strict_on_flow(problem, valid, holders, strategy, warm)


def _strict_on_flow(
    problem: Problem,
    valid: list[tuple[int, int]],
    holders: dict[int, list[int]],
    strategy: str,
    warm: WarmStart | None = None,
) -> Allocation:
    """Fixed kept seats, the rest as a smaller flow problem (see the module docstring)."""
    n = problem.n_participants
    shrunk = {o for o, hs in holders.items() if len(hs) > problem.capacity[o]}
    fixed = [(p, o) for p, o in valid if o not in shrunk]
    cap = problem.capacity.astype(np.int64).copy()
    seats = problem.seats_allowed().astype(np.int64).copy()
    if fixed:
        fixed_arr = np.array(fixed, dtype=np.int64)
        np.subtract.at(cap, fixed_arr[:, 1], 1)
        np.subtract.at(seats, fixed_arr[:, 0], 1)
    # Vectorised over the preference rows (650k at 100k×2k): pair keys p·m + o.
    width = max(problem.n_opportunities, 1)
    pp, po = problem.pref_participant, problem.pref_opportunity
    keys = pp * width + po
    fixed_keys = np.array([p * width + o for p, o in fixed], dtype=np.int64)
    holder_keys = np.array([p * width + o for o in shrunk for p in holders[o]], dtype=np.int64)
    into_shrunk = np.isin(po, np.fromiter(shrunk, dtype=np.int64, count=len(shrunk)))
    bonus_rows = pair_member(keys, holder_keys)
    keep_rows = ~pair_member(keys, fixed_keys) & (seats[pp] > 0) & (~into_shrunk | bonus_rows)
    # A bonus on previous holders of a shrunk opportunity that outweighs every rank or score:
    # among allocations with the most seats (one of which always keeps it full) it is kept full.
    values = problem.rank if problem.rank is not None else problem.score
    assert values is not None
    spread = float(np.abs(values).max(initial=0)) + problem.unlisted_rank
    if problem.penalty is not None:
        spread += float(np.abs(problem.penalty).max(initial=0))
    bonus = float(np.ceil(spread * max(int(seats.sum()), 1) * 2 + 1))
    penalty = np.zeros(problem.n_preferences) if problem.penalty is None else problem.penalty.copy()
    if shrunk:
        penalty = penalty - bonus * bonus_rows
    people = np.flatnonzero(seats > 0)
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[people] = np.arange(people.size)
    rows = np.flatnonzero(keep_rows)
    residual_ids = {str(problem.participant_ids[p]) for p in people}
    residual = Problem.from_arrays(
        opportunity_ids=problem.opportunity_ids,
        capacity=cap,
        pref_participant=new_index[pp[rows]],
        pref_opportunity=po[rows],
        rank=None if problem.rank is None else problem.rank[rows],
        score=None if problem.score is None else problem.score[rows],
        participant_ids=problem.participant_ids[people],
        # Only pairs of people still in the residual (a fully kept person is not in it).
        options=problem.options.with_(
            keep=(), forbidden=tuple(pair for pair in problem.options.forbidden if pair[0] in residual_ids)
        ),
        max_seats=None if problem.max_seats is None else seats[people],
        penalty=penalty[rows] if (shrunk or problem.penalty is not None) else None,
    )
    # The residual keeps the ids of the people and opportunities it still has, so the previous
    # optimum's seats and potentials carry over to it by id.
    solved = allocate(residual, strategy, check=True, warm=warm)
    part = np.concatenate([np.array([p for p, _ in fixed], dtype=np.int64), people[solved.participant]])
    opp = np.concatenate([np.array([o for _, o in fixed], dtype=np.int64), solved.opportunity])
    order = np.lexsort((opp, part))
    return _on(problem, part[order], opp[order], solved, {"kept_fixed": len(fixed), "shrunk": len(shrunk)})


def _on(
    problem: Problem, part: np.ndarray, opp: np.ndarray, solved: Allocation, extra: dict[str, Any]
) -> Allocation:
    """The allocation of the whole problem, verified independently, from a (sub)problem's solve."""
    broken = violations(problem, part, opp)
    if broken:
        raise SolverError(f"the re-solve returned an invalid allocation: {broken[0]}")
    details = dict(solved.details) | extra
    return Allocation(
        problem=problem,
        participant=part,
        opportunity=opp,
        status=solved.status,
        strategy=solved.strategy,
        strategy_reason=solved.strategy_reason,
        stats=replace(
            compute_stats(problem, part, opp),
            build_seconds=solved.stats.build_seconds,
            solve_seconds=solved.stats.solve_seconds,
            decode_seconds=solved.stats.decode_seconds,
        ),
        details=details,
        explainer=solved.explainer,
    )


def _changes(
    problem: Problem,
    result: Allocation,
    before: dict[str, list[str]],
    lost: dict[tuple[str, str], str],
    withdrawn: set[str],
) -> list[PersonChange]:
    """Per person (present ones in problem order, then the withdrawn), what happened to their seats.

    Most people hold at most one seat before and after and lost none of them to a change: their
    outcome is classified with arrays; the few others go through `_person_change`."""
    n = problem.n_participants
    present = [str(p) for p in problem.participant_ids]
    oids = [str(o) for o in problem.opportunity_ids]
    pidx = {pid: i for i, pid in enumerate(present)}
    oidx = {oid: j for j, oid in enumerate(oids)}
    after: dict[str, list[str]] = defaultdict(list)
    new_count = np.bincount(result.participant, minlength=n)
    new_one = np.full(n, -1, dtype=np.int64)
    new_one[result.participant] = result.opportunity
    lost_of: dict[str, list[tuple[str, str]]] = defaultdict(list)  # the few whose seat went
    for (pid, oid), why in lost.items():
        lost_of[pid].append((oid, why))
    old_one = np.full(n, -1, dtype=np.int64)
    simple = new_count <= 1
    for pid, held in before.items():
        i = pidx.get(pid)
        if i is None:
            continue
        if len(held) > 1 or pid in lost_of:
            simple[i] = False
        elif held:
            old_one[i] = oidx.get(held[0], -1)
    for pid in withdrawn:
        if pid in pidx:
            simple[pidx[pid]] = False
    for k in np.flatnonzero(new_count > 1).tolist():  # several seats now: the general path
        after[present[k]] = []
    if after:
        for p, o in zip(result.participant.tolist(), result.opportunity.tolist(), strict=True):
            if present[p] in after:
                after[present[p]].append(oids[o])
    code = np.select(
        [(old_one < 0) & (new_one < 0), old_one == new_one, old_one < 0, new_one < 0],
        [0, 1, 2, 3],
        4,
    )
    kinds: tuple[Change, ...] = ("waiting", "kept", "seated", "unseated", "moved")
    whys = ("", "", "", "no seat left that they accept", "to seat more people")
    out = []
    # plain Python lists: indexing NumPy arrays one element at a time costs more than the rest
    rows = zip(present, simple.tolist(), old_one.tolist(), new_one.tolist(), code.tolist(), strict=True)
    for pid, easy, old, new, c in rows:
        if easy:
            was = (oids[old],) if old >= 0 else ()
            now = (oids[new],) if new >= 0 else ()
            out.append(PersonChange(pid, was, now, kinds[c], whys[c]))
        else:
            got = after.get(pid) or ([oids[new]] if new >= 0 else [])
            out.append(_person_change(pid, before.get(pid, []), got, lost_of.get(pid), lost, withdrawn))
    for pid in before:
        if pid not in pidx:
            out.append(_person_change(pid, before[pid], [], lost_of.get(pid), lost, withdrawn))
    return out


def _person_change(
    pid: str,
    held: list[str],
    got: list[str],
    gone: list[tuple[str, str]] | None,
    lost: dict[tuple[str, str], str],
    withdrawn: set[str],
) -> PersonChange:
    old = tuple(held) if len(held) < 2 else tuple(sorted(held))
    new = tuple(got) if len(got) < 2 else tuple(sorted(got))
    reasons = sorted({why for o, why in gone if o in old}) if gone else []
    if pid in withdrawn or (gone and old and all(lost.get((pid, o)) == "withdrawn" for o in old)):
        reasons = ["withdrawn"]
    if not old and not new:
        change: Change = "waiting"
    elif old == new:
        change = "kept"
    elif not old:
        change = "seated"
    elif not new:
        change = "unseated"
    else:
        change = "moved"
    why = "; ".join(reasons)
    if change in ("moved", "unseated") and not why:
        why = "to seat more people" if change == "moved" else "no seat left that they accept"
    return PersonChange(pid, old, new, change, why if change not in ("kept", "waiting") else "")
