"""One measurement of an old-versus-new comparison: a script run in a fresh interpreter that
imports ``flok`` from a given source tree and prints its result as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_child(src: Path, script: str, *args: object) -> dict[str, float]:
    """Run ``script`` with ``PYTHONPATH`` = ``src`` and return the JSON object it printed last."""
    out = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(src)},
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data
