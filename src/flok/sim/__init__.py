"""Agent-based simulator: evidence, on a seeded synthetic community, that capacity-aware
matching means fewer "Full" dead-ends, fuller opportunities and fairer access (docs/simulator.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.lazy import lazy_exports

if TYPE_CHECKING:
    from flok.sim.config import SimConfig
    from flok.sim.policies import POLICIES, Policy
    from flok.sim.run import COLUMNS, PolicyOutcome, SimResult, simulate

__all__ = ["COLUMNS", "POLICIES", "Policy", "PolicyOutcome", "SimConfig", "SimResult", "simulate"]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "SimConfig": "flok.sim.config",
        "POLICIES": "flok.sim.policies",
        "Policy": "flok.sim.policies",
        "COLUMNS": "flok.sim.run",
        "PolicyOutcome": "flok.sim.run",
        "SimResult": "flok.sim.run",
        "simulate": "flok.sim.run",
    },
)
