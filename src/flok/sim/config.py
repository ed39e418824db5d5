"""Every tunable of the simulated community and its behaviour model, with documented defaults.

The defaults describe a mid-sized city community over two weeks; docs/simulator.md explains
each parameter and why it has its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from flok.errors import InputError
from flok.pulse import FitConfig, PulseConfig


@dataclass(frozen=True)
class SimConfig:
    """Community size, behaviour parameters and policy settings of one simulation."""

    # --- size and randomness ------------------------------------------------------------
    participants: int = 10_000
    opportunities: int = 500
    days: int = 14
    seed: int = 1
    step_minutes: int = 60
    """Length of one simulated time step; every agent acts at most once per step."""

    # --- community generator ------------------------------------------------------------
    n_tags: int = 40
    """Interest vocabulary; tag popularity is Zipf-like (a few tags are very common)."""
    first_timer_share: float = 0.2
    """Share of participants who are new: they join during the run (in its first 60 %)."""
    very_active_share: float = 0.05
    """The most active participants (by session rate), who want up to ``very_active_seats``."""
    very_active_seats: int = 3
    sessions_per_day_median: float = 0.4
    sessions_per_day_sigma: float = 1.0
    """Session rate is log-normal: many occasional visitors, a long tail of very active ones."""
    capacity_min: int = 4
    capacity_max: int = 30
    lead_days_min: float = 2.0
    lead_days_max: float = 7.0
    """An opportunity is listed this many days before it starts (sign-up closes
    ``pulse.lead_hours`` before its start, as in the product)."""
    city_radius_km: float = 10.0
    neighbourhoods: int = 8
    appeal_sigma: float = 0.1
    """Spread of each opportunity's intrinsic appeal, added to fit (invisible to the scorer)."""
    hit_share: float = 0.0
    """Bursty popularity: this share of opportunities are hits, with ``hit_appeal`` more appeal
    during the first ``hit_hours`` after they are listed (the burst), then back to normal."""
    hit_appeal: float = 0.3
    hit_hours: float = 36.0
    arrival_share: float = 0.0
    """Staggered arrivals: this share of the participants who are not first-timers also join
    during the run (uniformly over its first 60 %), instead of at the start."""

    # --- behaviour model ----------------------------------------------------------------
    feed_size: int = 8
    click_rate: float = 0.6
    position_decay: float = 0.85
    rsvp_mid: float = 0.55
    rsvp_width: float = 0.08
    """P(RSVP | click) = σ((fit + appeal − rsvp_mid)/rsvp_width)."""
    attempts_per_session: int = 2
    give_up_after_full: float = 0.15
    give_up_after_full_first_timer: float = 0.4
    quit_after_empty_session: float = 0.02
    decline_after_click: float = 0.5
    """A click that does not become an RSVP is an explicit "not for me" (``declined``, weight
    −0.5) with this probability; a read invitation that is not taken is always declined. Declines
    are what make an opportunity cold (pulse below 50)."""
    invite_seen: float = 0.6
    """Share of rebalance invitations (push messages) a participant reads in time."""

    # --- policies -----------------------------------------------------------------------
    pulse: PulseConfig = field(default_factory=PulseConfig)
    fit: FitConfig = field(default_factory=lambda: FitConfig(max_km=12.0))
    rebalance_every_hours: float = 12.0
    """Flok's rebalance, and ``fit_push``'s push, run this often (at 08:00 and 20:00 by default)."""
    rebalance_top_k: int = 20
    reserve_share: float = 0.25
    """flok_inclusion: share of each opportunity's seats held for first-timers…"""
    release_hours: float = 48.0
    """…until this many hours before it starts, when they open to everyone."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value):
                raise InputError(f"must be a finite number, got {value}", field=f.name)
        positive = ("participants", "opportunities", "days", "step_minutes", "n_tags", "feed_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise InputError(f"must be at least 1, got {getattr(self, name)}", field=name)
        shares = (
            "first_timer_share",
            "very_active_share",
            "click_rate",
            "position_decay",
            "give_up_after_full",
            "give_up_after_full_first_timer",
            "quit_after_empty_session",
            "decline_after_click",
            "hit_share",
            "arrival_share",
            "invite_seen",
            "reserve_share",
        )
        for name in shares:
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"must be between 0 and 1, got {getattr(self, name)}", field=name)
        if not 1 <= self.capacity_min <= self.capacity_max:
            raise InputError("needs 1 ≤ capacity_min ≤ capacity_max", field="capacity_min")
        if not 0 <= self.lead_days_min <= self.lead_days_max:
            raise InputError("needs 0 ≤ lead_days_min ≤ lead_days_max", field="lead_days_min")
        for name in ("sessions_per_day_median", "rsvp_width", "rebalance_every_hours", "city_radius_km"):
            if not getattr(self, name) > 0:
                raise InputError(f"must be positive, got {getattr(self, name)}", field=name)
        for name in ("attempts_per_session", "very_active_seats", "rebalance_top_k", "neighbourhoods"):
            if getattr(self, name) < 1:
                raise InputError(f"must be at least 1, got {getattr(self, name)}", field=name)
        if self.hit_appeal < 0 or self.hit_hours < 0:
            raise InputError("hit_appeal and hit_hours must be ≥ 0", field="hit_appeal")
        if self.sessions_per_day_sigma < 0 or self.appeal_sigma < 0 or self.release_hours < 0:
            raise InputError("spreads and release_hours must be ≥ 0", field="sessions_per_day_sigma")

    @property
    def step_seconds(self) -> float:
        return self.step_minutes * 60.0

    @property
    def steps(self) -> int:
        return math.ceil(self.days * 24 * 60 / self.step_minutes)
