"""Start-up and end-to-end CSV: what a user waits for before and around the solve (issue 19).

``flok bench startup`` prints two tables. Start-up: each command in a fresh interpreter (so
nothing is cached in ``sys.modules``), the best and the median of a few runs, and which heavy
packages it loaded. End to end: ``flok allocate`` from CSV to CSV on a generated instance
(100k × 2k by default) without a report, with report.json, and with the compact report
(``--explanations``), runs interleaved so a busy machine slows them alike; the report's cost is
given as a share of the run without it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("numpy", "pyarrow", "scipy", "ortools", "pandas", "sklearn", "matplotlib", "sqlalchemy", "fastapi")

_HELP = (
    "import sys\nsys.argv = ['flok', *{args!r}, '--help']\nfrom flok.cli.main import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
)
STARTUP: tuple[tuple[str, str], ...] = (
    ("import flok", "import flok"),
    ("import flok.cli.main", "import flok.cli.main"),
    ("flok --help", _HELP.format(args=[])),
    ("flok allocate --help", _HELP.format(args=["allocate"])),
    ("import flok.engine (a plain allocation's code)", "import flok.engine"),
)


def _once(code: str) -> tuple[float, list[str]]:
    """Wall time of ``python -c code`` in a fresh interpreter, and the heavy packages it loaded."""
    probe = f"\nimport sys as _s\nprint('\\nLOADED=' + ','.join(m for m in {HEAVY!r} if m in _s.modules))"
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + probe], capture_output=True, text=True, check=True, timeout=600
    )
    seconds = time.perf_counter() - began
    loaded = done.stdout.rpartition("LOADED=")[2].strip()
    return seconds, [m for m in loaded.split(",") if m]


def startup_table(repeats: int = 5) -> str:
    """Markdown: command, best, median, heavy packages loaded."""
    times: dict[str, list[float]] = {label: [] for label, _ in STARTUP}
    loaded: dict[str, list[str]] = {}
    for _ in range(repeats):  # interleaved: a burst of load hits every command alike
        for label, code in STARTUP:
            seconds, heavy = _once(code)
            times[label].append(seconds)
            loaded[label] = heavy
    lines = ["| command (fresh interpreter) | best | median | heavy packages loaded |", "|---|---|---|---|"]
    for label, _ in STARTUP:
        t, names = times[label], ", ".join(loaded[label]) or "—"
        lines.append(f"| `{label}` | {min(t):.3f} s | {statistics.median(t):.3f} s | {names} |")
    return "\n".join(lines)


def write_instance(folder: Path, n: int, m: int, seed: int = 0) -> tuple[Path, Path]:
    """opportunities.csv and preferences.csv of the seeded Zipf instance ``flok bench allocate`` uses."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from flok.bench.generate import zipf_instance

    inst = zipf_instance(n, m, seed=seed)
    opps, prefs = folder / "opportunities.csv", folder / "preferences.csv"
    oids = np.char.add("o", np.arange(m).astype(str))
    pacsv.write_csv(pa.table({"opportunity_id": oids, "capacity": inst.capacity}), opps)
    pacsv.write_csv(
        pa.table(
            {
                "participant_id": np.char.add("p", inst.pref_participant.astype(str)),
                "opportunity_id": oids[inst.pref_opportunity],
                "rank": inst.rank,
            }
        ),
        prefs,
    )
    return opps, prefs


def csv_table(n: int = 100_000, m: int = 2_000, repeats: int = 3, seed: int = 0) -> str:
    """Markdown: ``flok allocate`` CSV to CSV without and with the report, as subprocesses."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        opps, prefs = write_instance(d, n, m, seed)
        base = [
            "allocate",
            "--opportunities",
            str(opps),
            "--preferences",
            str(prefs),
            "--out",
            str(d / "a.csv"),
        ]
        runs: dict[str, list[str]] = {
            "no report": base,
            "report.json": [*base, "--report", str(d / "r.json")],
            "report.json + explanations.csv (compact)": [
                *base,
                "--report",
                str(d / "rc.json"),
                "--explanations",
                str(d / "e.csv"),
            ],
        }
        code = "import sys\nsys.argv = ['flok', *{args!r}]\nfrom flok.cli.main import main\nmain()\n"
        times: dict[str, list[float]] = {label: [] for label in runs}
        for _ in range(repeats):
            for label, args in runs.items():
                times[label].append(_once(code.format(args=args))[0])
        sizes = {
            "no report": 0,
            "report.json": (d / "r.json").stat().st_size,
            "report.json + explanations.csv (compact)": (d / "rc.json").stat().st_size
            + (d / "e.csv").stat().st_size,
        }
        solve = json.loads((d / "r.json").read_text())["solve_seconds"]
    plain = min(times["no report"])
    lines = [
        f"`flok allocate` CSV→CSV, {n:,}×{m:,}, whole command in a fresh interpreter (solve {solve:.2f} s):",
        "",
        "| run | best | median | report files | on top of no report (best) |",
        "|---|---|---|---|---|",
    ]
    for label, t in times.items():
        extra = "—" if label == "no report" else f"{100 * (min(t) - plain) / plain:+.0f}%"
        size = f"{sizes[label] / 1e6:.1f} MB" if sizes[label] else "—"
        lines.append(f"| {label} | {min(t):.2f} s | {statistics.median(t):.2f} s | {size} | {extra} |")
    return "\n".join(lines)


def main(*, csv: bool = True, n: int = 100_000, m: int = 2_000) -> None:
    print(startup_table(), flush=True)
    if csv:
        print()
        print(csv_table(n, m))


if __name__ == "__main__":
    main()
