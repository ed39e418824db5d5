"""Benchmark circle formation: the slot model (HiGHS) against the naive per-circle PuLP/CBC model.

Run ``python -m flok.bench.circles [--sizes 300,1000,3000,10000] [--naive-limit 120]``. Both models
solve the same problem (same candidates, same weighted objective); the naive one has a binary per
(person, circle copy) and per copy, with as many copies of each (location, time) as could open.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from dataclasses import dataclass

import scipy.optimize  # noqa: F401  (imported up front so no timing pays for it)

from flok.circles import CircleOptions, form
from flok.circles.candidates import RegionCandidates, build
from flok.circles.generate import generate
from flok.circles.roster import ALWAYS, SOMETIMES, roster_from_tables
from flok.table import Table, table_from_records


@dataclass(frozen=True)
class NaiveRun:
    seconds: float
    objective: float
    optimal: bool
    variables: int


def naive_cbc(cand: RegionCandidates, options: CircleOptions, time_limit: float) -> NaiveRun:
    """The x[p,c], y[c] model in PuLP, solved by CBC with a zero gap."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _naive_cbc(cand, options, time_limit)


def _naive_cbc(cand: RegionCandidates, options: CircleOptions, time_limit: float) -> NaiveRun:
    import pulp

    start = time.perf_counter()
    w = options.weights
    n_slots = len(cand.slots)
    prob = pulp.LpProblem("naive_circles", pulp.LpMaximize)
    by_option: dict[int, list[tuple[int, int]]] = {}
    for p, o, v in zip(cand.arc_person, cand.arc_option, cand.arc_points, strict=True):
        by_option.setdefault(int(o), []).append((int(p), int(v)))
    person_vars: dict[int, list[pulp.LpVariable]] = {}
    objective = []
    n_vars = 0
    for o, arcs in by_option.items():
        if o < n_slots:
            hosts2 = sum(
                2 if cand.free[p].host == ALWAYS else cand.free[p].host == SOMETIMES for p, _ in arcs
            )
            copies = min(len(arcs) // options.min_size, hosts2 // 2)
        else:
            copies = 1
        prev_y = None
        for k in range(copies):
            xs = []
            for p, v in arcs:
                x = pulp.LpVariable(f"x_{p}_{o}_{k}", cat="Binary")
                xs.append((p, x))
                person_vars.setdefault(p, []).append(x)
                objective.append((w.match + v) * x)
            n_vars += len(xs)
            if o >= n_slots:
                prob += pulp.lpSum(x for _, x in xs) <= cand.existing[o - n_slots].max_additions
                continue
            y = pulp.LpVariable(f"y_{o}_{k}", cat="Binary")
            n_vars += 1
            objective.append(-w.new_circle * y)
            size = pulp.lpSum(x for _, x in xs)
            prob += size >= options.min_size * y
            prob += size <= options.max_size * y
            prob += (
                pulp.lpSum((2 if cand.free[p].host == ALWAYS else 1) * x for p, x in xs if cand.free[p].host)
                >= 2 * y
            )
            if prev_y is not None:
                prob += prev_y >= y  # copies open in order: a little symmetry breaking
            prev_y = y
    for xs in person_vars.values():
        prob += pulp.lpSum(xs) <= 1
    prob += pulp.lpSum(objective)
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=0.0, gapAbs=0.999, threads=1))
    optimal = prob.sol_status == pulp.LpSolutionOptimal
    values = [v.varValue for v in prob.variables()]
    # At a time limit CBC may hand back a fractional point; that is no formation, so no objective.
    integral = all(v is not None and abs(v - round(v)) < 1e-6 for v in values)
    score = float(pulp.value(prob.objective) or 0.0) if integral else float("nan")
    return NaiveRun(time.perf_counter() - start, score, optimal and integral, n_vars)


def _tables(n: int, seed: int) -> tuple[Table, Table]:
    people, circles = generate(n, seed=seed)
    return table_from_records(people, "participants.csv"), table_from_records(circles, "circles.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="300,1000,3000,10000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0, help="per region and solve, slot model")
    parser.add_argument("--naive-limit", type=float, default=120.0, help="per region, naive model")
    parser.add_argument("--naive-max", type=int, default=3000, help="skip the naive model above this size")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"# machine: {os.cpu_count()} cores, load average {load:.1f} at start (shared with other jobs)")
    header = (
        f"{'n':>6} {'regions':>7} {'matched':>8} {'proven':>6} {'slot s':>8} {'status':>11} "
        f"{'naive vars':>10} {'naive s':>8} {'naive':>8} {'obj equal':>9} {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))
    for n in (int(s) for s in args.sizes.split(",")):
        people, circles = _tables(n, args.seed)
        opts = CircleOptions(time_limit=args.time_limit, workers=args.workers)
        start = time.perf_counter()
        result = form(people, circles, opts)
        ours = time.perf_counter() - start
        gap = sum(r.objective_bound - r.objective for r in result.regions)
        status = (
            "optimal"
            if gap < 0.5
            else f"gap {100 * gap / max(sum(r.objective for r in result.regions), 1):.2f}%"
        )
        ours_obj = sum(r.objective for r in result.regions)
        proven = "yes" if result.matched_proven else "no"
        naive_cols = ["-"] * 4
        if n <= args.naive_max:
            roster = roster_from_tables(people, circles, opts)
            runs = [naive_cbc(c, opts, args.naive_limit) for c in build(roster, CircleOptions(prune=False))]
            naive_s = sum(r.seconds for r in runs)
            naive_ok = all(r.optimal for r in runs)
            naive_obj = sum(r.objective for r in runs)
            naive_cols = [
                f"{sum(r.variables for r in runs):,}",
                f"{naive_s:.1f}",
                "optimal" if naive_ok else "limit",
                "no sol"
                if naive_obj != naive_obj
                else "yes"
                if abs(naive_obj - ours_obj) < 0.5
                else f"{naive_obj - ours_obj:+.0f}",
            ]
            ratio = f"{naive_s / ours:.1f}x" + ("" if naive_ok else "+")
        else:
            ratio = "-"
        print(
            f"{n:>6} {len(result.regions):>7} {result.matched:>8} {proven:>6} "
            f"{ours:>8.2f} {status:>11} {naive_cols[0]:>10} {naive_cols[1]:>8} {naive_cols[2]:>8} "
            f"{naive_cols[3]:>9} {ratio:>8}",
            flush=True,
        )
    print(f"# load average at end {os.getloadavg()[0]:.1f}; '+' after a ratio: the naive model hit its limit")


if __name__ == "__main__":
    main()
