"""Flok: capacity-aware matching — seat allocation, pulse-aware matching and circles.

The names below load on first use (PEP 562), so ``import flok`` costs almost nothing and a
command or service imports only what it uses (issue 19: NumPy, pyarrow, SciPy and OR-Tools
took 1.3 s before any work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.errors import FlokError, InfeasibleError, InputError, SolverError
from flok.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "Allocation": "flok.allocation",
        "allocate": "flok.engine",
        "Options": "flok.model",
        "Problem": "flok.model",
        "verify": "flok.solvers.verify:violations",
    },
)
