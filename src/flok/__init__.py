"""Flok: capacity-aware matching — seat allocation, pulse-aware matching and circles."""

from flok.allocation import Allocation
from flok.engine import allocate
from flok.errors import FlokError, InfeasibleError, InputError, SolverError
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
