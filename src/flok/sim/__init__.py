"""Agent-based simulator: evidence, on a seeded synthetic community, that capacity-aware
matching means fewer "Full" dead-ends, fuller opportunities and fairer access (docs/simulator.md).
"""

from flok.sim.config import SimConfig
from flok.sim.policies import POLICIES, Policy
from flok.sim.run import COLUMNS, PolicyOutcome, SimResult, simulate

__all__ = ["COLUMNS", "POLICIES", "Policy", "PolicyOutcome", "SimConfig", "SimResult", "simulate"]
