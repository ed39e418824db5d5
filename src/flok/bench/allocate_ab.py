"""Old-versus-new timing of the plain allocation path, interleaved in one run on one machine.

``python -m flok.bench.allocate_ab --old /tmp/flow-old/src`` allocates the same Zipf-skewed
instances (``flok.bench.generate``) with an older source tree and this one, each run in a fresh
interpreter (``PYTHONPATH`` = that tree), alternating which goes first so load from other jobs
hits both alike, with and without a lottery seed; it prints the median end-to-end seconds in
memory (validation, build, solve, decode, verification, statistics) and whether every run reached
the same optimum. Export the old tree with
``mkdir -p /tmp/flow-old && git archive REV src | tar -x -C /tmp/flow-old``.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from flok.bench.ab import run_child

# Runs inside the child; uses only what every tree has (zipf_instance, Problem.from_arrays, allocate).
_CHILD = """
import json, sys, time
import numpy as np
from flok.bench.generate import zipf_instance
from flok.engine import allocate
from flok.model import Problem

n, m, seed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
allocate(zipf_instance(200, 10, seed=0).problem())  # warm up lazy imports and kernels
inst = zipf_instance(n, m, seed=0)
oids = np.array([f"o{i}" for i in range(m)], dtype=object)
start = time.perf_counter()
problem = Problem.from_arrays(
    opportunity_ids=oids, capacity=inst.capacity, pref_participant=inst.pref_participant,
    pref_opportunity=inst.pref_opportunity, rank=inst.rank, n_participants=n,
)
if seed != "none":
    problem = problem.with_options(seed=int(seed))
result = allocate(problem)
seconds = time.perf_counter() - start
stats = result.stats
print(json.dumps({"seconds": seconds, "objective": float(stats.objective), "seats": int(stats.seats)}))
"""
SIZES = ((1_000, 50, 7), (10_000, 500, 5), (100_000, 2_000, 3))  # participants, opportunities, repeats


def run(src: Path, n: int, m: int, seed: str) -> dict[str, float]:
    return run_child(src, _CHILD, n, m, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", required=True, type=Path, help="src directory of the old code")
    parser.add_argument("--new", default=Path(__file__).resolve().parents[2], type=Path)
    parser.add_argument("--seed", default="7", help="the lottery seed of the seeded rows")
    args = parser.parse_args()
    print(f"# old={args.old} new={args.new}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    print(
        f"{'size':>15} {'seed':>5} {'old s (median)':>15} {'new s (median)':>15} {'new/old':>8} {'same':>5}"
    )
    for n, m, repeats in SIZES:
        for seed in ("none", args.seed):
            runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
            for k in range(repeats):
                pair = [("old", args.old), ("new", args.new)]
                for name, src in pair if k % 2 == 0 else pair[::-1]:
                    runs[name].append(run(src, n, m, seed))
            o = statistics.median(r["seconds"] for r in runs["old"])
            w = statistics.median(r["seconds"] for r in runs["new"])
            same = len({(r["objective"], r["seats"]) for r in runs["old"] + runs["new"]}) == 1
            print(
                f"{f'{n:,}×{m:,}':>15} {seed:>5} {o:>15.4f} {w:>15.4f} {w / o:>8.2f} "
                f"{'yes' if same else 'NO'}",
                flush=True,
            )
    print(f"# load at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
