"""Re-solve after a change of about 1% of participants, next to a cold solve of the same problem.

Run with ``flok bench resolve`` or ``python -m flok.bench.resolve``; prints two tables. The change:
0.5% of participants withdraw, 0.5% arrive late (ranking like everyone else), one opportunity
in a hundred loses half its seats and one in a thousand is cancelled. The second table holds the
native engine's warm start (the previous optimum's seats and exact prices, `flok.allocate(...,
warm=...)`) against a cold solve of the same changed problem, for changes of several sizes:
the solve alone, interleaved, best of three.
"""

from __future__ import annotations

import time

import numpy as np

from flok.bench.generate import zipf_instance
from flok.engine import allocate
from flok.model import Problem
from flok.resolve import resolve

SIZES = ((10_000, 500), (100_000, 2_000))


def changed(problem: Problem, seed: int) -> Problem:
    """``problem`` after withdrawals, late arrivals and capacity cuts (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n, m = problem.n_participants, problem.n_opportunities
    gone = rng.choice(n, size=max(1, n // 200), replace=False)
    capacity = problem.capacity.copy()
    cut = rng.choice(m, size=max(1, m // 100), replace=False)
    capacity[cut] //= 2
    capacity[rng.choice(m, size=max(1, m // 1000), replace=False)] = 0
    return _replaced(problem, gone, seed, capacity)


def turnover(problem: Problem, k: int, seed: int) -> Problem:
    """``problem`` after ``k`` participants withdraw and ``k`` arrive late (ranking like everyone
    else)."""
    gone = np.random.default_rng(seed).choice(problem.n_participants, size=k, replace=False)
    return _replaced(problem, gone, seed, problem.capacity)


def _replaced(problem: Problem, gone: np.ndarray, seed: int, capacity: np.ndarray) -> Problem:
    """``problem`` without the participants ``gone`` and with as many late arrivals, who rank like
    everyone else: each copies the ranked list of a participant drawn at random from those who
    stay (so they crowd the same popular opportunities as the people already seated)."""
    n, k = problem.n_participants, gone.size
    rng = np.random.default_rng(seed + 1)
    keep = ~np.isin(problem.pref_participant, gone)
    staying = np.setdiff1d(np.arange(n), gone)
    models = rng.choice(staying, size=k, replace=True) if staying.size else np.zeros(0, dtype=np.int64)
    order = np.argsort(problem.pref_participant, kind="stable")
    start = np.searchsorted(problem.pref_participant[order], np.arange(n + 1))
    rows = [order[start[p] : start[p + 1]] for p in models.tolist()]
    late_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    late_who = np.repeat(np.arange(k, dtype=np.int64), [r.size for r in rows]) + n
    pids = np.concatenate([problem.participant_ids, np.array([f"late{i}" for i in range(k)], dtype=object)])
    assert problem.rank is not None
    return Problem.from_arrays(
        opportunity_ids=problem.opportunity_ids,
        capacity=capacity,
        pref_participant=np.concatenate([problem.pref_participant[keep], late_who]),
        pref_opportunity=np.concatenate(
            [problem.pref_opportunity[keep], problem.pref_opportunity[late_rows]]
        ),
        rank=np.concatenate([problem.rank[keep], problem.rank[late_rows]]),
        participant_ids=pids,
        options=problem.options,
    )


def warm_rows(n: int, m: int, seed: int = 0, turnovers: tuple[int, ...] = (1, 10, 100)) -> list[list[str]]:
    """The warm start against a cold solve after changes of several sizes (second table)."""
    from flok.solvers.engines import scaling_stats

    before = zipf_instance(n, m, seed=seed).problem()
    first = allocate(before, "native_flow")
    one_percent = max(1, n // 200)  # this many each way: 1% of the participants change
    cases = [(f"{k} leave, {k} join", turnover(before, k, seed)) for k in turnovers]
    if one_percent not in turnovers:
        label = f"{one_percent} leave, {one_percent} join ({2 * one_percent / n:.0%} of participants)"
        cases.append((label, turnover(before, one_percent, seed)))
    cases.append(("the 1% change above", changed(before, seed)))
    rows = []
    for label, now in cases:
        cold_s = warm_s = float("inf")
        repaired = True
        for _ in range(3):
            cold = allocate(now, "native_flow")
            warm = allocate(now, "native_flow", warm=first.warm)
            repaired = repaired and scaling_stats().repaired
            assert (warm.stats.seats, warm.stats.objective) == (cold.stats.seats, cold.stats.objective)
            cold_s = min(cold_s, cold.stats.solve_seconds)
            warm_s = min(warm_s, warm.stats.solve_seconds)
        how = "repaired" if repaired else "over its budget: solved cold"
        rows.append(
            [
                f"{n:,}×{m:,}",
                label,
                f"{cold_s * 1e3:.1f} ms",
                f"{warm_s * 1e3:.1f} ms",
                f"{cold_s / warm_s:.1f}×",
                how,
            ]
        )
    return rows


def main(seed: int = 0) -> None:
    print("| size | cold | strict | balanced | free | kept (strict) | moved (strict) | moved (free) |")
    print("|---|---|---|---|---|---|---|---|")
    for n, m in SIZES:
        before = zipf_instance(n, m, seed=seed).problem()
        previous = allocate(before).assignments()
        now = changed(before, seed)
        t0 = time.perf_counter()
        allocate(now)
        cold = time.perf_counter() - t0
        timings, results = {}, {}
        for stability in ("strict", "balanced", "free"):
            t0 = time.perf_counter()
            results[stability] = resolve(now, previous, stability=stability)
            timings[stability] = time.perf_counter() - t0
        strict, free = results["strict"].counts(), results["free"].counts()
        print(
            f"| {n:,}×{m:,} | {cold:.2f} s | {timings['strict']:.2f} s | {timings['balanced']:.2f} s "
            f"| {timings['free']:.2f} s | {strict['kept']:,} | {strict['moved']:,} | {free['moved']:,} |",
            flush=True,
        )
    print()
    print("| size | change | cold solve | warm solve | speed-up | warm start |")
    print("|---|---|---|---|---|---|")
    for n, m in SIZES:
        for row in warm_rows(n, m, seed):
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
