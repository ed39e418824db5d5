"""Pulse: demand-aware community matching (ARCHITECTURE §5).

Feedback events build a decayed demand ``D`` per opportunity; its pressure (demand expected
before sign-up closes per seat left) gives ``pulse = 100·σ(pressure/k)``, which nudges fit
scores (``S_adj = S − λ·(pulse − 50)``) so recommendations spread people from hot
opportunities to strong, quieter alternatives. See docs/pulse.md.
"""

from flok.pulse.community import Events, Opportunities, ParticipantProfiles
from flok.pulse.demand import (
    ACTIONS,
    DemandState,
    PulseConfig,
    adjusted_score,
    demand_at,
    ingest,
    labels,
    market_pulse,
    pressure,
    pulse,
    update,
)
from flok.pulse.eligible import joinable, refuse_future
from flok.pulse.feed import FeedItem, feed
from flok.pulse.fit import FitConfig, FitScorer, PairFit, RsvpModel, haversine_km, training_data
from flok.pulse.market import Market, demand_state, history_metrics, market
from flok.pulse.rebalance import Candidates, Rebalance, RebalanceConfig, candidates, rebalance

__all__ = [
    "ACTIONS",
    "Candidates",
    "DemandState",
    "Events",
    "FeedItem",
    "FitConfig",
    "FitScorer",
    "Market",
    "Opportunities",
    "PairFit",
    "ParticipantProfiles",
    "PulseConfig",
    "Rebalance",
    "RebalanceConfig",
    "RsvpModel",
    "adjusted_score",
    "candidates",
    "demand_at",
    "demand_state",
    "feed",
    "haversine_km",
    "history_metrics",
    "ingest",
    "joinable",
    "labels",
    "market",
    "market_pulse",
    "pressure",
    "pulse",
    "rebalance",
    "refuse_future",
    "training_data",
    "update",
]
