"""The compiled flow core is optional for users (no C compiler: Flok falls back to OR-Tools), so
``setup.py`` builds it with ``optional=True`` — which also hides a C file that no longer compiles.
Where a compiler and the Python headers are present, the core must have been built: otherwise
the native tests would all be skipped and a broken core would pass unnoticed."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from flok.solvers import engines


def test_the_flow_core_is_built_wherever_it_can_be() -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not compiler or not headers.exists():
        pytest.skip(f"no C compiler or no Python headers here ({compiler=}, {headers})")
    assert engines.NATIVE_AVAILABLE, (
        "a C compiler and the Python headers are present but flok.solvers._flowcore is not built: "
        "reinstall with `pip install -e .` and read the compiler's errors"
    )
    one = np.array([1], dtype=np.int64)
    supply = np.array([1, 0, -1], dtype=np.int64)  # node 0 → node 2, one seat
    layout = engines.plain_layout(3, np.array([0]), np.array([2]), one, one * 5, supply)
    assert layout is not None
    solved = engines.scaling_solve(layout, 3)
    assert solved is not None and solved.flow.tolist() == [1]
