"""The settings of one feed or rebalance request: fit weights, the no-location rule, sign-up lead.

Both the feed (query parameters) and a rebalance (its body, stored on the run so the worker,
maybe in another process, uses exactly what was asked) name them the same way; bad values are
refused here, at request time, with the field to blame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flok.pulse import FitConfig, PulseConfig, RebalanceConfig
from flok.store import runs as runs_repo
from flok.store.db import Transaction


def fit_config(
    weights: Mapping[str, float | None] | None = None, no_location: str | None = None
) -> FitConfig:
    """``FitConfig`` from named weights (missing or None keep their defaults) and the rule for
    participants without a location (None: the default, "anywhere")."""
    chosen = {k: float(v) for k, v in (weights or {}).items() if v is not None}
    rule: dict[str, Any] = {} if no_location is None else {"no_location": no_location}
    return FitConfig.with_weights(chosen, **rule)


def rebalance_options(options: Mapping[str, Any], pulse: PulseConfig) -> dict[str, Any]:
    """A rebalance request as stored on its run: checked now, with the service's sign-up lead."""
    fit = fit_config(options.get("weights"), options.get("no_location"))
    return {
        **options,
        "weights": fit.weights(),
        "no_location": fit.no_location,
        "lead_hours": pulse.lead_hours,
    }


def rebalance_configs(options: Mapping[str, Any]) -> tuple[RebalanceConfig, FitConfig, PulseConfig]:
    """The configs of a stored rebalance run (runs queued before these options existed: defaults)."""
    fit = fit_config(options.get("weights"), options.get("no_location"))
    pulse = PulseConfig()
    if options.get("lead_hours") is not None:
        pulse = replace(pulse, lead_hours=float(options["lead_hours"]))
    chosen = {k: options[k] for k in ("top_k", "min_score") if k in options}
    return RebalanceConfig(**chosen), fit, pulse


REBALANCE_TOP_K = 50
REBALANCE_MIN_SCORE = 0.0


def queue_rebalance(conn: Transaction, org: int, options: dict[str, Any] | None, pulse: PulseConfig) -> int:
    """Create a queued rebalance run in ``conn``'s transaction; the caller submits it after commit
    (``POST /rebalance``, the dashboard's button and the periodic schedule all queue it here).

    Without options: the defaults (``top_k`` 50, ``min_score`` 0), as the API's body has them;
    ``weights`` and ``no_location`` are checked here, before queuing.
    """
    chosen = {"top_k": REBALANCE_TOP_K, "min_score": REBALANCE_MIN_SCORE, **(options or {})}
    return runs_repo.create(conn, org, "rebalance", rebalance_options(chosen, pulse))
