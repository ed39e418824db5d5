"""Defaults and names that ``--help`` shows, spelled here so help needs no engine.

``flok --help`` builds every command's options; reading these from ``PulseConfig`` or
``flok.sim.policies`` would import the pulse package and with it NumPy, pyarrow, SciPy and
OR-Tools (issue 19: ``flok --help`` took over a second). tests/test_startup.py checks that they
equal the engine's own values, so the two cannot drift apart.
"""

from __future__ import annotations

TAU_HOURS = 12.0
"""``PulseConfig.tau_hours``: demand decay time constant τ in hours."""
K = 10.0
"""``PulseConfig.k``: pulse scale, the pressure that reads as 73.1."""
LAM = 0.01
"""``PulseConfig.lam``: λ in S_adj = S − λ·(pulse − 50)."""
LEAD_HOURS = 1.0
"""``PulseConfig.lead_hours``: sign-up closes this many hours before an opportunity starts."""
POLICY_NAMES = ("fcfs", "fit", "fit_open", "fit_push", "flok_no_pulse", "flok", "flok_inclusion", "flok_feed")
"""The keys of ``flok.sim.policies.POLICIES``, in order."""
