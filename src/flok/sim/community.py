"""Seeded generator of a synthetic community: people and opportunities in one city over the run.

Everything comes from one ``numpy.random.Generator``, so a seed fixes the whole community.
Participants and opportunities are ``flok.pulse`` objects, so the simulator scores fit with the
same code as the product; the extra columns here (appeal, session rate, …) are what the
product never sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from flok.pulse import Opportunities, ParticipantProfiles
from flok.sim.config import SimConfig

T0 = datetime(2026, 11, 23, tzinfo=UTC).timestamp()
"""Start of every run: a Monday, 00:00 UTC (epoch seconds), so weekdays are ``day % 7 < 5``."""
HOUR = 3600.0
DAY = 24 * HOUR
CENTRE = (52.37, 4.90)
KM_PER_DEG_LAT = 111.2


@dataclass(frozen=True, eq=False)
class Community:
    """The people and opportunities of one run plus the hidden traits that drive behaviour."""

    participants: ParticipantProfiles
    opportunities: Opportunities
    created_at: np.ndarray
    """When each opportunity is listed (epoch seconds)."""
    appeal: np.ndarray
    """Intrinsic appeal of each opportunity, added to fit in the RSVP model."""
    session_rate: np.ndarray
    """Expected app sessions per day of each participant."""
    wanted: np.ndarray
    """Seats each participant wants over the run (1, or more for the very active)."""
    t0: float
    end: float


def _points(rng: np.random.Generator, n: int, centres: np.ndarray, spread_km: float) -> np.ndarray:
    """``n`` (lat, lon) points scattered around randomly chosen neighbourhood centres."""
    which = rng.integers(0, len(centres), n)
    offset = rng.normal(0.0, spread_km, (n, 2))
    lat = centres[which, 0] + offset[:, 0] / KM_PER_DEG_LAT
    lon = centres[which, 1] + offset[:, 1] / (KM_PER_DEG_LAT * np.cos(np.radians(centres[which, 0])))
    return np.column_stack([lat, lon])


def _tag_sets(rng: np.random.Generator, n: int, lo: int, hi: int, weights: np.ndarray) -> list[list[str]]:
    """``lo``–``hi`` distinct tags per row, drawn by weight (Gumbel top-k: no Python loop per draw)."""
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, weights.size))
    order = np.argsort(-keys, axis=1)
    sizes = rng.integers(lo, hi + 1, n)
    names = np.array([f"t{i:02d}" for i in range(weights.size)], dtype=object)
    return [names[order[i, : sizes[i]]].tolist() for i in range(n)]


def generate(config: SimConfig) -> Community:
    """A community from ``config`` and its seed (same seed, same community)."""
    rng = np.random.default_rng([config.seed, 0])
    n, m, days = config.participants, config.opportunities, config.days
    end = T0 + days * DAY

    # Places: neighbourhood centres within the city radius; people and venues around them.
    r = config.city_radius_km * np.sqrt(rng.random(config.neighbourhoods))
    angle = rng.random(config.neighbourhoods) * 2 * np.pi
    centres = np.column_stack(
        [
            CENTRE[0] + r * np.sin(angle) / KM_PER_DEG_LAT,
            CENTRE[1] + r * np.cos(angle) / (KM_PER_DEG_LAT * np.cos(np.radians(CENTRE[0]))),
        ]
    )
    tag_weights = 1.0 / np.arange(1, config.n_tags + 1)

    # Opportunities: weekday evenings or weekend daytime, listed 2–7 days ahead.
    day = rng.integers(0, days, m)
    weekend = day % 7 >= 5
    start_h = np.where(weekend, rng.integers(10, 17, m), 18 + 0.5 * rng.integers(0, 4, m))
    duration_h = np.where(weekend, rng.uniform(2, 3, m), rng.uniform(1.5, 3, m))
    start = T0 + day * DAY + start_h * HOUR
    finish = start + np.round(duration_h * 4) / 4 * HOUR
    lead = rng.uniform(config.lead_days_min, config.lead_days_max, m) * DAY
    created_at = np.maximum(T0, start - lead)
    span = config.capacity_max - config.capacity_min
    capacity = config.capacity_min + np.floor(rng.beta(1.2, 3.0, m) * (span + 1)).astype(np.int64)
    capacity = np.minimum(capacity, config.capacity_max)
    venue = _points(rng, m, centres, 2.5)
    opportunities = Opportunities.build(
        np.array([f"o{i:04d}" for i in range(m)], dtype=object),
        capacity,
        title=[f"Opportunity {i}" for i in range(m)],
        start=start,
        end=finish,
        lat=venue[:, 0],
        lon=venue[:, 1],
        tags=_tag_sets(rng, m, 1, 3, tag_weights),
    )
    appeal = rng.normal(0.0, config.appeal_sigma, m)

    # Participants: homes, 1–4 interests, weekday evenings and weekend days they are free.
    home = _points(rng, n, centres, 3.0)
    free = np.where(
        (np.arange(days) % 7 >= 5)[None, :], rng.random((n, days)) < 0.5, rng.random((n, days)) < 0.45
    )
    none = ~free.any(axis=1)
    free[none, rng.integers(0, days, int(none.sum()))] = True
    weekend_day = np.arange(days) % 7 >= 5
    win_start = T0 + np.arange(days) * DAY + np.where(weekend_day, 9.0, 17.0) * HOUR
    win_end = T0 + np.arange(days) * DAY + np.where(weekend_day, 19.0, 23.0) * HOUR
    availability = [list(zip(win_start[row].tolist(), win_end[row].tolist(), strict=True)) for row in free]
    first_timer = rng.random(n) < config.first_timer_share
    joined_at = np.where(first_timer, T0 + rng.uniform(0, 0.6 * days * DAY, n), T0)
    rate = config.sessions_per_day_median * np.exp(rng.normal(0.0, config.sessions_per_day_sigma, n))
    rate = np.minimum(rate, 6.0)
    wanted = np.ones(n, dtype=np.int64)
    very_active = round(config.very_active_share * n)
    if very_active:
        wanted[np.argsort(-rate, kind="stable")[:very_active]] = config.very_active_seats
    participants = ParticipantProfiles.build(
        np.array([f"p{i:06d}" for i in range(n)], dtype=object),
        interests=_tag_sets(rng, n, 1, 4, tag_weights),
        lat=home[:, 0],
        lon=home[:, 1],
        availability=availability,
        first_timer=first_timer,
        joined_at=joined_at,
    )
    return Community(participants, opportunities, created_at, appeal, rate, wanted, T0, end)
