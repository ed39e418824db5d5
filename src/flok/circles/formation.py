"""The exact formation model: who meets at which (location, time) slot and how many circles open there.

Circles sharing a slot are interchangeable, so instead of one variable per (person, circle) the model
has one binary per (person, slot) and one integer count ``n_s`` per slot with

    min·n_s ≤ members_s ≤ max·n_s        and        2·always_s + sometimes_s ≥ 2·n_s.

These are exactly the conditions under which a slot's group splits into ``n_s`` circles that each
have a valid size and host set (see `flok.circles.split`), so nothing is lost by aggregating.
Phase 1 maximizes the number matched; phase 2 keeps that number and maximizes the weighted score.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from flok.circles.candidates import RegionCandidates
from flok.circles.options import CircleOptions
from flok.circles.roster import ALWAYS, SOMETIMES
from flok.errors import SolverError
from flok.solvers.backends import Backend, Result, get_backend, lp_relaxation
from flok.solvers.linear import MatrixModel

INF = float("inf")


@dataclass
class RegionSolution:
    region: str
    groups: dict[int, list[int]] = field(default_factory=dict)  # slot index → free-person indices
    circles: dict[int, int] = field(default_factory=dict)  # slot index → number of circles
    additions: dict[str, list[int]] = field(default_factory=dict)  # existing circle id → newcomers
    matched_free: int = 0
    matched_bound: int = 0  # proven upper bound on matched free people
    objective: float = 0.0
    objective_bound: float = 0.0
    status: str = "optimal"  # optimal: both phases proven; feasible: a gap remains
    seconds: float = 0.0
    phase_seconds: tuple[float, float] = (0.0, 0.0)

    @property
    def matched_proven(self) -> bool:
        return self.matched_free == self.matched_bound


@dataclass(frozen=True)
class SlotModel:
    """The slot model in the shared matrix form plus its objective, which is maximized."""

    matrix: MatrixModel
    gain: np.ndarray


@dataclass(frozen=True)
class Solved:
    """A backend's answer in the maximizing sense of the slot model."""

    x: np.ndarray
    status: str  # "optimal" or "feasible" (time limit reached with a solution)
    objective: float
    bound: float  # best proven upper bound
    seconds: float


def diversity_keys(cand: RegionCandidates, options: CircleOptions) -> tuple[np.ndarray, np.ndarray]:
    """The model's diversity columns: one per (slot, attribute, value) that someone accepting the
    slot has, as (column of each slot arc carrying a value, that arc); empty without attributes
    or with a zero diversity weight.

    Such a column may be 1 only if someone with that value meets at the slot, and each is worth
    ``weights.diversity``: so among groups tied on every other point the more varied one wins
    (issue 16, item 7). A value counts once per slot, which the split always achieves (the value's
    holder is in one of the slot's circles), so the term never promises more than is delivered.
    Opt-in: measured on 1,000 generated participants with three attributes, it turned a 12 s
    proven solve into one that hit a 120 s limit unproven (docs/circles.md).
    """
    if not (options.diversity_in_model and options.attributes and options.weights.diversity and cand.slots):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n_slots = len(cand.slots)
    index: dict[tuple[int, int, str], int] = {}
    cols: list[int] = []
    arcs: list[int] = []
    for a in np.flatnonzero(cand.arc_option < n_slots):
        person = cand.free[int(cand.arc_person[a])]
        for k, value in enumerate(person.attributes):
            if value:
                cols.append(index.setdefault((int(cand.arc_option[a]), k, value), len(index)))
                arcs.append(int(a))
    return np.asarray(cols, dtype=np.int64), np.asarray(arcs, dtype=np.int64)


def build_model(cand: RegionCandidates, options: CircleOptions, weighted: bool) -> SlotModel:
    """Matrix form of the slot model; columns are the arcs, one circle count per slot, then the
    diversity columns (`diversity_keys`)."""
    n_arcs, n_slots = cand.arc_person.size, len(cand.slots)
    w = options.weights
    lo_size, hi_size = options.min_size, options.max_size
    host = np.array([p.host for p in cand.free], dtype=np.int64)
    arc_host = host[cand.arc_person] if n_arcs else np.zeros(0, dtype=np.int64)
    host_coef = np.where(arc_host == ALWAYS, 2, np.where(arc_host == SOMETIMES, 1, 0))
    arcs = np.arange(n_arcs)
    slot_arc = cand.arc_option < n_slots
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    bounds_lo: list[np.ndarray] = []
    bounds_hi: list[np.ndarray] = []
    r0 = 0

    def block(
        r: np.ndarray, c: np.ndarray, v: np.ndarray, n_rows: int, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        nonlocal r0
        rows.append((r + r0, c, v))
        bounds_lo.append(lo)
        bounds_hi.append(hi)
        r0 += n_rows

    n_free = len(cand.free)
    ones = np.ones(n_arcs)
    # Each person in at most one place.
    block(cand.arc_person, arcs, ones, n_free, np.full(n_free, -INF), np.ones(n_free))
    if n_slots:
        s_arcs, s_opt = arcs[slot_arc], cand.arc_option[slot_arc]
        count_cols = n_arcs + np.arange(n_slots)
        srange = np.arange(n_slots)
        for coef, lo, hi in ((-lo_size, 0.0, INF), (-hi_size, -INF, 0.0)):
            block(
                np.concatenate([s_opt, srange]),
                np.concatenate([s_arcs, count_cols]),
                np.concatenate([np.ones(s_arcs.size), np.full(n_slots, float(coef))]),
                n_slots,
                np.full(n_slots, lo),
                np.full(n_slots, hi),
            )
        hosted = slot_arc & (host_coef > 0)
        block(
            np.concatenate([cand.arc_option[hosted], srange]),
            np.concatenate([arcs[hosted], count_cols]),
            np.concatenate([host_coef[hosted].astype(float), np.full(n_slots, -2.0)]),
            n_slots,
            np.zeros(n_slots),
            np.full(n_slots, INF),
        )
        if options.strong:
            # A person meets at a slot only if a circle opens there: the facility-location cut.
            k = s_arcs.size
            block(
                np.concatenate([np.arange(k), np.arange(k)]),
                np.concatenate([s_arcs, n_arcs + s_opt]),
                np.concatenate([np.ones(k), -np.ones(k)]),
                k,
                np.full(k, -INF),
                np.zeros(k),
            )
    n_ex = len(cand.existing)
    if n_ex:
        e_arcs = arcs[~slot_arc]
        block(
            cand.arc_option[e_arcs] - n_slots,
            e_arcs,
            np.ones(e_arcs.size),
            n_ex,
            np.full(n_ex, -INF),
            np.array([c.max_additions for c in cand.existing], dtype=float),
        )
    div_col, div_arc = diversity_keys(cand, options)
    n_div = int(div_col.max()) + 1 if div_col.size else 0
    if n_div:
        # d_j ≤ Σ arcs that bring value j to its slot.
        first = n_arcs + n_slots
        block(
            np.concatenate([np.arange(n_div), div_col]),
            np.concatenate([first + np.arange(n_div), div_arc]),
            np.concatenate([np.ones(n_div), -np.ones(div_arc.size)]),
            n_div,
            np.full(n_div, -INF),
            np.zeros(n_div),
        )
    r = np.concatenate([b[0] for b in rows])
    c = np.concatenate([b[1] for b in rows])
    v = np.concatenate([b[2] for b in rows])
    n_cols = n_arcs + n_slots + n_div
    A = sp.csr_matrix((v, (r, c)), shape=(r0, n_cols))
    eligible = np.bincount(cand.arc_option[slot_arc], minlength=n_slots) if n_slots else np.zeros(0)
    hosts2 = (
        np.bincount(cand.arc_option[slot_arc], weights=host_coef[slot_arc], minlength=n_slots)
        if n_slots
        else np.zeros(0)
    )
    max_circles = np.minimum(eligible // lo_size, hosts2 // 2)
    col_hi = np.concatenate([np.ones(n_arcs), max_circles.astype(float), np.ones(n_div)])
    if weighted:
        obj = np.concatenate(
            [
                w.match + cand.arc_points.astype(float),
                np.full(n_slots, -float(w.new_circle)),
                np.full(n_div, float(w.diversity)),
            ]
        )
    else:
        obj = np.concatenate([np.ones(n_arcs), np.zeros(n_slots + n_div)])
    matrix = MatrixModel(
        A,
        np.concatenate(bounds_lo),
        np.concatenate(bounds_hi),
        np.zeros(n_cols),
        col_hi,
        # A diversity column is 0/1 whenever the arcs are (its only bound is min(1, Σ arcs), and it
        # is maximized), so it need not be an integer variable: fewer branching candidates.
        np.concatenate([np.ones(n_arcs + n_slots, bool), np.zeros(n_div, bool)]),
    )
    return SlotModel(matrix, obj)


def with_min_matched(model: SlotModel, n_arcs: int, matched: int) -> SlotModel:
    """The same model plus one row: at least ``matched`` people placed."""
    return SlotModel(model.matrix.with_row(np.arange(n_arcs), np.ones(n_arcs), lo=float(matched)), model.gain)


def maximize(backend: Backend, model: SlotModel, time_limit: float, start: np.ndarray | None) -> Solved:
    """Solve the slot model (backends minimize, so the objective is negated and so is the bound)."""
    res = backend(model.matrix, -model.gain, time_limit, start)
    if res.status == "infeasible":
        raise SolverError("the circle model is infeasible")  # x = 0 is always feasible: a bug
    if res.x is None:
        if start is None:
            raise SolverError(f"the solver found no formation in {time_limit:g} s; raise the time limit")
        # Issue 16, item 4: a time limit too short for the solver to return anything keeps the
        # feasible start (the greedy formation, or the previous phase's), honestly unproven.
        bound = -res.bound if math.isfinite(res.bound) else math.inf
        return Solved(start, "feasible", float(model.gain @ start), bound, res.seconds)
    return _solved(res)


def _solved(res: Result) -> Solved:
    assert res.x is not None
    return Solved(res.x, res.status, -res.objective, -res.bound, res.seconds)


def solve_region(cand: RegionCandidates, options: CircleOptions) -> RegionSolution:
    """Best weighted formation whose matched count is maximal (proven, or bounded when time runs out).

    The weighted model is solved first; its matched count is proven maximal by the cheapest bound
    that suffices (everyone who has a place at all, then the LP relaxation of the count-only model),
    and only if those fail is the count-only MIP solved and the weighted model re-solved at that count.
    """
    start = time.perf_counter()
    out = RegionSolution(cand.region)
    n_arcs = cand.arc_person.size
    if n_arcs == 0:
        out.seconds = time.perf_counter() - start
        return out
    backend = get_backend(options.backend)
    weighted = build_model(cand, options, weighted=True)
    result = maximize(backend, weighted, options.time_limit, greedy_start(cand, options))
    matched = _matched(result, n_arcs)
    bound = int(np.unique(cand.arc_person).size)
    count_seconds = 0.0
    if matched < bound:
        count_model = build_model(cand, options, weighted=False)
        bound = min(bound, int(np.floor(lp_bound(count_model) + 1e-6)))
        if matched < bound:
            first = maximize(backend, count_model, options.time_limit, result.x)
            count_seconds = first.seconds
            if math.isfinite(first.bound):  # no bound at all when time ran out before one
                bound = min(bound, int(np.floor(first.bound + 1e-6)))
            best = _matched(first, n_arcs)
            if best > matched:
                result = maximize(
                    backend, with_min_matched(weighted, n_arcs, best), options.time_limit, first.x
                )
    _read(out, cand, result)
    out.matched_bound = max(bound, out.matched_free)
    out.objective = result.objective
    out.objective_bound = result.bound
    out.status = result.status
    out.phase_seconds = (count_seconds, result.seconds)
    out.seconds = time.perf_counter() - start
    return out


def greedy_start(cand: RegionCandidates, options: CircleOptions) -> np.ndarray:
    """A quick feasible formation to start the solver from: existing circles first (they carry
    bonuses), then slots by how many people accept them, hosts chosen before everyone else."""
    n_arcs, n_slots = cand.arc_person.size, len(cand.slots)
    div_col, div_arc = diversity_keys(cand, options)
    n_div = int(div_col.max()) + 1 if div_col.size else 0
    x = np.zeros(n_arcs + n_slots + n_div)
    taken = np.zeros(len(cand.free), dtype=bool)
    order = np.lexsort((-cand.arc_points, cand.arc_option))
    starts = np.searchsorted(cand.arc_option[order], np.arange(n_slots + len(cand.existing) + 1))
    by_option = [order[starts[o] : starts[o + 1]] for o in range(n_slots + len(cand.existing))]
    for e, circle in enumerate(cand.existing):
        room = circle.max_additions
        for a in by_option[n_slots + e]:
            if room and not taken[cand.arc_person[a]]:
                x[a] = 1
                taken[cand.arc_person[a]] = True
                room -= 1
    lo, hi = options.min_size, options.max_size
    for s in sorted(range(n_slots), key=lambda k: -by_option[k].size):
        arcs = [a for a in by_option[s] if not taken[cand.arc_person[a]]]
        hosts = [cand.free[cand.arc_person[a]].host for a in arcs]
        always = [a for a, h in zip(arcs, hosts, strict=True) if h == ALWAYS]
        sometimes = [a for a, h in zip(arcs, hosts, strict=True) if h == SOMETIMES]
        n = min(-(-len(arcs) // hi), len(arcs) // lo, (2 * len(always) + len(sometimes)) // 2)
        if n <= 0:
            continue
        chosen = always[:n] + sometimes[: 2 * max(0, n - len(always))]
        picked = set(chosen)
        chosen += [a for a in arcs if a not in picked][: min(len(arcs), hi * n) - len(chosen)]
        for a in chosen:
            x[a] = 1
            taken[cand.arc_person[a]] = True
        x[n_arcs + s] = n
    if n_div:
        brought = div_col[x[div_arc] > 0.5]
        x[n_arcs + n_slots + brought] = 1
    return x


def _matched(result: Solved, n_arcs: int) -> int:
    return int(np.count_nonzero(result.x[:n_arcs] > 0.5))


def lp_bound(model: SlotModel) -> float:
    """Optimum of the LP relaxation: a valid upper bound on the integer optimum."""
    return -lp_relaxation(model.matrix, -model.gain)


def _read(out: RegionSolution, cand: RegionCandidates, result: Solved) -> None:
    n_arcs, n_slots = cand.arc_person.size, len(cand.slots)
    chosen = np.flatnonzero(result.x[:n_arcs] > 0.5)
    for a in chosen:
        person, option = int(cand.arc_person[a]), int(cand.arc_option[a])
        if option < n_slots:
            out.groups.setdefault(option, []).append(person)
        else:
            out.additions.setdefault(cand.existing[option - n_slots].circle_id, []).append(person)
    for s in range(n_slots):
        k = int(result.x[n_arcs + s])
        if k:
            out.circles[s] = k
    out.matched_free = int(chosen.size)
