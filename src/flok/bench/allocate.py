"""Seat-allocation benchmark: Flok's flow against naive OR-Tools and PuLP/CBC on one instance.

Each size runs in a fresh child process so its peak memory is its own. Run with
``flok bench allocate`` or ``python -m flok.bench.allocate``; it prints two tables: the
allocation (``auto``) against the naive baselines, then the two flow engines side by side —
OR-Tools' best in-memory formulation (arcs in bulk, ``solve_max_flow_with_min_cost``) and Flok's
native engine on the same arrays, interleaved in the same process (best of a few alternating
runs), with their ratio, the native strategy end to end, and a warm re-solve after a 1% change
(`flok.bench.resolve.changed`) next to a cold one, interleaved: the solve alone (what the warm
start changes) and end to end (validation, mapping the previous seats by id, decoding and the
independent check included).
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

SIZES = [(1_000, 50), (10_000, 500), (100_000, 2_000), (1_000_000, 10_000)]
NAIVE_MAX = 100_000
PULP_MAX = 1_000
WARM_MAX = 100_000


def _engines(inst: Any, problem: Any, seed: int) -> dict[str, Any]:
    """OR-Tools' best in-memory formulation and the native engine on the same arrays, interleaved."""
    from flok.engine import allocate
    from flok.solvers.engines import NATIVE_AVAILABLE, ORTOOLS, native_solve, scaling_stats

    if not NATIVE_AVAILABLE:
        return {}
    n = inst.n
    tail, head = inst.pref_participant, inst.pref_opportunity + n
    cap = np.ones(tail.size, dtype=np.int64)
    supply = np.concatenate([np.ones(n, dtype=np.int64), -inst.capacity])
    nodes = n + inst.m
    repeats = 5 if n <= 10_000 else 1
    best = {"ortools": float("inf"), "native": float("inf")}
    answers: dict[str, tuple[int, int]] = {}
    for r in range(repeats):
        for engine in ("ortools", "native") if r % 2 == 0 else ("native", "ortools"):
            t0 = time.perf_counter()
            if engine == "ortools":
                flow = ORTOOLS(nodes, tail, head, cap, inst.rank, supply, max_flow=True)
            else:
                flow = native_solve(nodes, tail, head, cap, inst.rank, supply, max_flow=True).flow
            best[engine] = min(best[engine], time.perf_counter() - t0)
            answers[engine] = (int(flow.sum()), int(flow @ inst.rank))
    assert answers["ortools"] == answers["native"], answers
    row: dict[str, Any] = {"ortools_best": best["ortools"], "native": best["native"]}
    if n <= WARM_MAX:  # the largest size runs each engine once only (a shared machine)
        t0 = time.perf_counter()
        first = allocate(problem, "native_flow")
        row["native_total"] = time.perf_counter() - t0
        from flok.bench.resolve import changed

        after = changed(problem, seed)
        best_cold = best_warm = float("inf")
        for _ in range(repeats):  # interleaved, best of the same number of runs as above
            t0 = time.perf_counter()
            cold = allocate(after, "native_flow")
            t1 = time.perf_counter()
            warm = allocate(after, "native_flow", warm=first.warm)
            t2 = time.perf_counter()
            if t1 - t0 < best_cold:
                best_cold, row["cold_solve"] = t1 - t0, cold.stats.solve_seconds
            if t2 - t1 < best_warm:
                best_warm, row["warm_solve"] = t2 - t1, warm.stats.solve_seconds
            assert (warm.stats.seats, warm.stats.objective) == (cold.stats.seats, cold.stats.objective)
        row["cold_resolve"], row["warm_resolve"] = best_cold, best_warm
        row["warm_repaired"] = scaling_stats().repaired  # False: over its budget, solved cold
    return row


def _naive_ortools(inst: Any) -> tuple[float, float]:
    """Same formulation, built one arc per Python call (the common way)."""
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    smcf = min_cost_flow.SimpleMinCostFlow()
    n = inst.n
    for p, o, r in zip(
        inst.pref_participant.tolist(), inst.pref_opportunity.tolist(), inst.rank.tolist(), strict=True
    ):
        smcf.add_arc_with_capacity_and_unit_cost(p, n + o, 1, r)
    for p in range(n):
        smcf.set_node_supply(p, 1)
    for o, c in enumerate(inst.capacity.tolist()):
        smcf.set_node_supply(n + o, -c)
    smcf.solve_max_flow_with_min_cost()
    cost = float(smcf.optimal_cost())
    flows = [smcf.flow(a) for a in range(smcf.num_arcs())]
    assert sum(flows) >= 0
    return time.perf_counter() - t0, cost


def _pulp(inst: Any) -> tuple[float, float]:
    """A textbook MIP: x[p,o] binary, seats first (big weight), then rank."""
    with warnings.catch_warnings():  # PuLP 3.3 warns about its own 4.0 API, once per variable
        warnings.simplefilter("ignore", DeprecationWarning)
        return _pulp_solve(inst)


def _pulp_solve(inst: Any) -> tuple[float, float]:
    import pulp

    t0 = time.perf_counter()
    big = inst.n * (int(inst.rank.max()) + 1) + 1
    prob = pulp.LpProblem("alloc", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(inst.rank.size)]
    prob += pulp.lpSum((r - big) * v for r, v in zip(inst.rank.tolist(), x, strict=True))
    by_p: dict[int, list[Any]] = {}
    by_o: dict[int, list[Any]] = {}
    for i, (p, o) in enumerate(
        zip(inst.pref_participant.tolist(), inst.pref_opportunity.tolist(), strict=True)
    ):
        by_p.setdefault(p, []).append(x[i])
        by_o.setdefault(o, []).append(x[i])
    for vs in by_p.values():
        prob += pulp.lpSum(vs) <= 1
    for o, vs in by_o.items():
        prob += pulp.lpSum(vs) <= int(inst.capacity[o])
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    seats = sum(round(v.value() or 0) for v in x)
    cost = float(sum(r * round(v.value() or 0) for r, v in zip(inst.rank.tolist(), x, strict=True)))
    assert seats >= 0
    return time.perf_counter() - t0, cost


def run_size(n: int, m: int, seed: int = 0, with_csv: bool = False) -> dict[str, Any]:
    """Measure one size (called in a child process)."""
    from flok.bench.generate import zipf_instance
    from flok.engine import allocate
    from flok.model import Problem

    allocate(zipf_instance(200, 10, seed=seed).problem())  # warm up lazy imports and kernels
    inst = zipf_instance(n, m, seed=seed)
    oids = np.array([f"o{i}" for i in range(m)], dtype=object)
    t0 = time.perf_counter()
    problem = Problem.from_arrays(
        opportunity_ids=oids,
        capacity=inst.capacity,
        pref_participant=inst.pref_participant,
        pref_opportunity=inst.pref_opportunity,
        rank=inst.rank,
        n_participants=n,
    )
    t1 = time.perf_counter()
    result = allocate(problem)
    t2 = time.perf_counter()
    s = result.stats
    row: dict[str, Any] = {
        "size": f"{n:,}×{m:,}",
        "prefs": inst.rank.size,
        "validate": t1 - t0,
        "build": s.build_seconds,
        "solve": s.solve_seconds,
        "decode": s.decode_seconds,
        "total": t2 - t0,
        "objective": s.objective,
        "seats": s.seats,
    }
    if n <= NAIVE_MAX:
        t3 = time.perf_counter()
        lottery = allocate(problem.with_options(seed=seed + 1))
        row["lottery"] = time.perf_counter() - t3
        assert lottery.stats.objective == s.objective and lottery.stats.seats == s.seats
        naive_t, naive_cost = _naive_ortools(inst)
        assert naive_cost == s.objective, (naive_cost, s.objective)
        row["naive"] = naive_t
    if n <= PULP_MAX:
        pulp_t, pulp_cost = _pulp(inst)
        assert pulp_cost == s.objective, (pulp_cost, s.objective)
        row["pulp"] = pulp_t
    if with_csv:
        row.update(_csv_round_trip(inst))
    row.update(_engines(inst, problem, seed))
    # Peak over everything the child ran, the native engine included.
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def _ortools_best_solve(inst: Any) -> float:
    """OR-Tools' fastest in-memory formulation of the instance (arcs in bulk, max flow with min
    cost): the reference the CSV round trip is held against."""
    from flok.solvers.engines import ORTOOLS

    n = inst.n
    tail, head = inst.pref_participant, inst.pref_opportunity + n
    cap = np.ones(tail.size, dtype=np.int64)
    supply = np.concatenate([np.ones(n, dtype=np.int64), -inst.capacity])
    t0 = time.perf_counter()
    ORTOOLS(n + inst.m, tail, head, cap, inst.rank, supply, max_flow=True)
    return time.perf_counter() - t0


def _csv_round_trip(inst: Any, repeats: int = 3) -> dict[str, float]:
    """``flok allocate`` from CSV to CSV (read, validate, solve, write), without and with the
    report, interleaved with OR-Tools' best in-memory solve of the same instance; best of each."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from flok.engine import allocate
    from flok.io.problem_io import read_problem, write_allocation
    from flok.io.writers import outputs

    best = {"csv": float("inf"), "csv_report": float("inf"), "ortools_in_memory": float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pacsv.write_csv(
            pa.table({"opportunity_id": [f"o{i}" for i in range(inst.m)], "capacity": inst.capacity}),
            d / "o.csv",
        )
        pids = np.char.add("p", inst.pref_participant.astype(str))
        oids = np.char.add("o", inst.pref_opportunity.astype(str))
        pacsv.write_csv(
            pa.table({"participant_id": pids, "opportunity_id": oids, "rank": inst.rank}), d / "p.csv"
        )
        for _ in range(repeats):
            best["ortools_in_memory"] = min(best["ortools_in_memory"], _ortools_best_solve(inst))
            for key, report in (("csv", None), ("csv_report", d / "r.json")):
                t0 = time.perf_counter()
                problem = read_problem(opportunities=d / "o.csv", preferences=d / "p.csv")
                result = allocate(problem)
                with outputs() as out:
                    write_allocation(result, out, assignments=d / "a.csv", report=report)
                best[key] = min(best[key], time.perf_counter() - t0)
    return best


def _child(args: tuple[int, int, int, bool], queue: Any) -> None:
    queue.put(run_size(*args))


def measure(n: int, m: int, seed: int = 0, with_csv: bool = False) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=((n, m, seed, with_csv), queue))
    proc.start()
    row: dict[str, Any] = queue.get()
    proc.join()
    return row


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| size (participants×opportunities) | prefs | validate | build | solve | decode | total "
        "| build+decode share | peak RSS | with seed (lottery) | naive OR-Tools | ratio | PuLP/CBC | ratio "
        "| CSV→CSV |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        flow = r["build"] + r["solve"] + r["decode"]
        share = (r["build"] + r["decode"]) / r["total"]
        naive = r.get("naive")
        pulp_t = r.get("pulp")
        lines.append(
            f"| {r['size']} | {r['prefs']:,} | {_fmt(r['validate'])} | {_fmt(r['build'])} "
            f"| {_fmt(r['solve'])} "
            f"| {_fmt(r['decode'])} | {_fmt(r['total'])} | {100 * share:.1f}% | {r['peak_mb']:,.0f} MB "
            f"| {_fmt(r.get('lottery'))} "
            f"| {_fmt(naive)} | {f'{naive / flow:.1f}×' if naive else '—'} "
            f"| {_fmt(pulp_t)} | {f'{pulp_t / flow:.0f}×' if pulp_t else '—'} | {_fmt(r.get('csv'))} |"
        )
    return "\n".join(lines)


def _markdown(columns: list[str], cells: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def csv_table(rows: list[dict[str, Any]]) -> str:
    """CSV to CSV against OR-Tools' best in-memory solve of the same instance (ratio ≤ 1: reading,
    validating, solving and writing together cost no more than OR-Tools' solve alone)."""
    columns = ["size", "OR-Tools best in-memory solve", "Flok CSV→CSV (no report)", "ratio"]
    columns += ["Flok CSV→CSV with report", "report's cost"]
    cells = [
        [
            r["size"],
            _fmt(r["ortools_in_memory"]),
            _fmt(r["csv"]),
            f"{r['csv'] / r['ortools_in_memory']:.2f}×",
            _fmt(r["csv_report"]),
            f"+{100 * (r['csv_report'] / r['csv'] - 1):.0f}%",
        ]
        for r in rows
        if "csv" in r
    ]
    return _markdown(columns, cells)


def engine_table(rows: list[dict[str, Any]]) -> str:
    """The two flow engines on the same arrays (see the module docstring); ratio > 1: native faster."""
    columns = ["size", "OR-Tools best in-memory", "native engine", "ratio OR-Tools / native"]
    columns += ["native_flow end to end", "after a 1% change: cold solve", "warm solve", "speed-up"]
    columns += ["cold end to end", "warm end to end", "speed-up"]
    cells = []
    for r in rows:
        if "native" not in r:
            continue
        cold, warm = r.get("cold_resolve"), r.get("warm_resolve")
        cold_solve, warm_solve = r.get("cold_solve"), r.get("warm_solve")
        cells.append(
            [
                r["size"],
                _fmt(r["ortools_best"]),
                _fmt(r["native"]),
                f"{r['ortools_best'] / r['native']:.2f}×",
                _fmt(r.get("native_total")),
                _fmt(cold_solve),
                _fmt(warm_solve) + ("" if r.get("warm_repaired", True) else " (cold: over budget)"),
                f"{cold_solve / warm_solve:.1f}×" if cold_solve and warm_solve else "—",
                _fmt(cold),
                _fmt(warm),
                f"{cold / warm:.1f}×" if cold and warm else "—",
            ]
        )
    return _markdown(columns, cells)


def main(sizes: list[tuple[int, int]] | None = None, seed: int = 0) -> None:
    rows = []
    for n, m in sizes or SIZES:
        row = measure(n, m, seed, with_csv=(n == 100_000))
        rows.append(row)
        print(f"measured {row['size']}: total {_fmt(row['total'])}", flush=True)
    print(table(rows))
    print()
    print(engine_table(rows))
    print()
    print(csv_table(rows))


if __name__ == "__main__":
    main()
