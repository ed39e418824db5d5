"""Side-constraint benchmark: which strategy ``auto`` picks, how long it takes, proven or not.

Run with ``flok bench constraints`` or ``python -m flok.bench.constraints``; prints a table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from flok.bench.generate import zipf_instance
from flok.engine import allocate
from flok.model import Options, Problem, Quota
from flok.options import CapacityGroup


def _problem(n: int, m: int, *, seed: int = 0, **extra: Any) -> Problem:
    inst = zipf_instance(n, m, seed=seed)
    rng = np.random.default_rng(seed)
    options = extra.pop("options", Options())
    return Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(m)],
        capacity=inst.capacity,
        pref_participant=inst.pref_participant,
        pref_opportunity=inst.pref_opportunity,
        rank=inst.rank,
        n_participants=n,
        options=options,
        participant_attributes={
            "programme": rng.choice(["cs", "math", "bio"], size=n, p=[0.6, 0.25, 0.15]),
            "first_timer": rng.choice(["yes", "no"], size=n, p=[0.3, 0.7]),
        },
        **extra,
    )


def _times(m: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 40, size=m) * 3600.0
    return {"start": start, "end": start + rng.integers(1, 3, size=m) * 3600.0}


def _weekly(m: int, seed: int) -> dict[str, Any]:
    """A course timetable: each opportunity meets MW, TTh or MWF in one of 8 daily slots."""
    rng = np.random.default_rng(seed)
    days = rng.choice(["MW", "TTh", "MWF"], size=m)
    slots = rng.integers(8, 16, size=m)
    return {"meetings": [f"{d} {h}:00-{h}:50" for d, h in zip(days, slots, strict=True)]}


def _supervisors(problem: Problem, per: int) -> Problem:
    """One shared capacity per ``per`` consecutive opportunities: half of their own seats."""
    m = problem.n_opportunities
    groups = tuple(
        CapacityGroup(
            group_id=f"s{k}",
            capacity=int(problem.capacity[k : k + per].sum()) // 2,
            opportunities=tuple(str(o) for o in problem.opportunity_ids[k : k + per]),
        )
        for k in range(0, m, per)
    )
    return problem.with_options(capacity_groups=groups)


def cases() -> list[tuple[str, Callable[[], Problem]]]:
    share = (Quota(attribute="programme", value="cs", max_share=0.6),)
    newcomers = (Quota(attribute="first_timer", value="yes", min=2),)
    groups = [f"g{i // 3}" if i < 300 else "" for i in range(1000)]
    return [
        ("1k×50 plain (auto)", lambda: _problem(1000, 50)),
        ("1k×50 lexicographic", lambda: _problem(1000, 50, options=Options(objective="lexicographic"))),
        ("1k×50 maximin", lambda: _problem(1000, 50, options=Options(objective="maximin"))),
        (
            "1k×50 clashes (2 seats each)",
            lambda: _problem(1000, 50, max_seats=np.full(1000, 2), **_times(50, 1)),
        ),
        ("1k×50 groups of 3 (hard)", lambda: _problem(1000, 50, group=groups)),
        (
            "1k×50 groups of 3 (soft)",
            lambda: _problem(1000, 50, group=groups, options=Options(group_mode="soft")),
        ),
        (
            "1k×50 quotas (≤60% cs, ≥2 first-timers)",
            lambda: _problem(1000, 50, options=Options(quotas=share + newcomers)),
        ),
        ("1k×50 minimum size 15", lambda: _problem(1000, 50, min_size=np.full(50, 15))),
        (
            "1k×50 penalties",
            lambda: _problem(1000, 50, penalty=np.random.default_rng(2).integers(0, 3, 6600)),
        ),
        (
            "1k×50 category limit",
            lambda: _problem(
                1000,
                50,
                max_seats=np.full(1000, 2),
                category=[f"c{i % 5}" for i in range(50)],
                options=Options(category_limit=(("*", 1),)),
            ),
        ),
        (
            "1k×50 weekly timetable (3 seats each)",
            lambda: _problem(1000, 50, max_seats=np.full(1000, 3), **_weekly(50, 4)),
        ),
        (
            "1k×50 shared capacities (5 per supervisor, half their seats)",
            lambda: _supervisors(_problem(1000, 50), 5),
        ),
        ("1k×50 groups + quotas", lambda: _problem(1000, 50, group=groups, options=Options(quotas=share))),
        (
            "10k×500 clashes + quotas",
            lambda: _problem(
                10_000, 500, max_seats=np.full(10_000, 2), **_times(500, 3), options=Options(quotas=share)
            ),
        ),
        ("100k×2k maximin", lambda: _problem(100_000, 2_000, options=Options(objective="maximin"))),
        (
            "100k×2k lexicographic",
            lambda: _problem(100_000, 2_000, options=Options(objective="lexicographic")),
        ),
        (
            "100k×2k lexicographic + fill_unlisted",
            lambda: _problem(100_000, 2_000, options=Options(objective="lexicographic", fill_unlisted=True)),
        ),
    ]


REFERENCE = {
    "100k×2k maximin": "min_cost_flow",
    "100k×2k lexicographic": "min_cost_flow",
    "100k×2k lexicographic + fill_unlisted": "min_cost_flow",
}
"""Cases also solved by another strategy right after ``auto``'s, for reference: OR-Tools' flows,
which ``auto`` used for them before the cost-scaling core took them (issue 19)."""


def main(only: str | None = None, time_limit: float = 60.0) -> None:
    print("| case | strategy | status | seats | objective | time | note |")
    print("|---|---|---|---|---|---|---|")
    for label, make in cases():
        if only and only not in label:
            continue
        problem = make()
        problem = problem.with_options(time_limit=time_limit)
        t0 = time.perf_counter()
        try:
            result = allocate(problem)
        except Exception as exc:  # a benchmark row, not a crash: report and go on
            print(f"| {label} | — | error | — | — | {time.perf_counter() - t0:.2f} s | {exc} |", flush=True)
            continue
        note = result.strategy_reason if result.strategy not in ("native_flow", "min_cost_flow") else ""
        if result.details.get("gap") is not None:
            note = f"gap {result.details['gap']:g} {result.details['gap_measure']}; {note}"
        print(
            f"| {label} | {result.strategy} | {result.status} | {result.stats.seats:,} "
            f"| {result.objective:g} | {time.perf_counter() - t0:.2f} s | {note[:90]} |",
            flush=True,
        )
        if label in REFERENCE:
            t0 = time.perf_counter()
            other = allocate(problem, REFERENCE[label])
            seconds = time.perf_counter() - t0
            # the same optimum: seats and total; lexicographic ranks whole histograms (maximin's
            # optimal totals may come from different ones)
            same = (other.stats.seats, other.objective) == (result.stats.seats, result.objective)
            if problem.options.objective == "lexicographic":
                same = same and other.stats.rank_histogram == result.stats.rank_histogram
            print(
                f"| {label}, {other.strategy} for reference | {other.strategy} | {other.status} "
                f"| {other.stats.seats:,} | {other.objective:g} | {seconds:.2f} s "
                f"| {'the same optimum' if same else 'A DIFFERENT OPTIMUM (a defect)'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
