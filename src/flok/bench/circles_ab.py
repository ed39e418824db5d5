"""Old-versus-new timing of circle formation, interleaved in one run on one machine.

``python -m flok.bench.circles_ab --old /tmp/circles-old/src --sizes 300,1000 --repeats 3`` runs each
size's ``form`` in a fresh interpreter per code tree (``PYTHONPATH`` = that tree), alternating old and
new so that load from other jobs hits both alike, and prints the median wall and CPU seconds of
``form``, each run's wall seconds, and whether every run reached the same proven objective.
Export the old tree with ``mkdir -p /tmp/circles-old && git archive main src | tar -x -C /tmp/circles-old``.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from flok.bench.ab import run_child

# Runs inside the child; uses only what both trees have (generate, table_from_records, form).
_CHILD = """
import json, sys, time
import scipy.optimize
from flok.circles import CircleOptions, form
from flok.circles.generate import generate
from flok.table import table_from_records

n, seed, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
people, circles = generate(n, seed=seed)
pt, ct = table_from_records(people, "participants.csv"), table_from_records(circles, "circles.csv")
start, cpu = time.perf_counter(), time.process_time()
result = form(pt, ct, CircleOptions(time_limit=limit, workers=1))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({
    "seconds": seconds,
    "cpu": cpu,
    "matched": result.matched,
    "objective": sum(r.objective for r in result.regions),
    "gap": sum(r.objective_bound - r.objective for r in result.regions),
    "proven": result.matched_proven,
}))
"""


def run(src: Path, n: int, seed: int, limit: float) -> dict[str, float]:
    return run_child(src, _CHILD, n, seed, limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", required=True, type=Path, help="src directory of the old code")
    parser.add_argument("--new", default=Path(__file__).resolve().parents[2], type=Path)
    parser.add_argument("--sizes", default="300,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"# old={args.old} new={args.new}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    header = (
        f"{'n':>6} {'old s (median)':>15} {'new s (median)':>15} {'new/old':>8} "
        f"{'old cpu':>8} {'new cpu':>8} "
        f"{'old runs':>20} {'new runs':>20} {'same objective':>14} {'proven':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in (int(s) for s in args.sizes.split(",")):
        old: list[dict[str, float]] = []
        new: list[dict[str, float]] = []
        for k in range(args.repeats):
            # Alternate which goes first so a load spike does not always land on the same side.
            pair = [(old, args.old), (new, args.new)]
            for bucket, src in pair if k % 2 == 0 else pair[::-1]:
                bucket.append(run(src, n, args.seed, args.time_limit))
        o = statistics.median(r["seconds"] for r in old)
        w = statistics.median(r["seconds"] for r in new)
        oc = statistics.median(r["cpu"] for r in old)
        wc = statistics.median(r["cpu"] for r in new)
        same = all(
            r["objective"] == old[0]["objective"] and r["matched"] == old[0]["matched"] for r in old + new
        )
        proven = all(r["proven"] and r["gap"] < 0.5 for r in old + new)
        old_runs = ",".join(f"{r['seconds']:.2f}" for r in old)
        new_runs = ",".join(f"{r['seconds']:.2f}" for r in new)
        print(
            f"{n:>6} {o:>15.2f} {w:>15.2f} {w / o:>8.2f} {oc:>8.2f} {wc:>8.2f} "
            f"{old_runs:>20} {new_runs:>20} "
            f"{'yes' if same else 'NO':>14} {'yes' if proven else 'NO':>7}",
            flush=True,
        )
    print(f"# load at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
