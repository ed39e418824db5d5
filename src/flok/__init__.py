"""Flok: capacity-aware matching — seat allocation, pulse-aware matching and circles.

The names below load on first use (PEP 562), so ``import flok`` costs almost nothing and a
command or service imports only what it uses (issue 19: NumPy, pyarrow, SciPy and OR-Tools
took 1.3 s before any work).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flok.errors import FlokError, InfeasibleError, InputError, SolverError

if TYPE_CHECKING:
    from flok.allocation import Allocation
    from flok.engine import allocate
    from flok.model import Options, Problem
    from flok.solvers.verify import violations as verify

__all__ = [
    "Allocation",
    "FlokError",
    "InfeasibleError",
    "InputError",
    "Options",
    "Problem",
    "SolverError",
    "allocate",
    "verify",
]
__version__ = "0.1.0"

_LAZY = {
    "Allocation": ("flok.allocation", "Allocation"),
    "allocate": ("flok.engine", "allocate"),
    "Options": ("flok.model", "Options"),
    "Problem": ("flok.model", "Problem"),
    "verify": ("flok.solvers.verify", "violations"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'flok' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
