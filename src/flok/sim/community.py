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

T0 = datetime(2025, 11, 24, tzinfo=UTC).timestamp()
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
    hit: np.ndarray | None = None
    """Whether each opportunity is a hit (extra appeal during its burst, see ``appeal_at``)."""
    hit_appeal: float = 0.0
    hit_seconds: float = 0.0

    def appeal_at(self, t: float) -> np.ndarray:
        """Appeal of every opportunity at ``t``: hits get ``hit_appeal`` more during their burst."""
        if self.hit is None or not self.hit.any():
            return self.appeal
        burst = self.hit & (t < self.created_at + self.hit_seconds)
        return self.appeal + np.where(burst, self.hit_appeal, 0.0)


def _points(rng: np.random.Generator, n: int, centres: np.ndarray, spread_km: float) -> np.ndarray:
    """``n`` (lat, lon) points scattered around randomly chosen neighbourhood centres."""
    which = rng.integers(0, len(centres), n)
    offset = rng.normal(0.0, spread_km, (n, 2))
    lat = centres[which, 0] + offset[:, 0] / KM_PER_DEG_LAT
    lon = centres[which, 1] + offset[:, 1] / (KM_PER_DEG_LAT * np.cos(np.radians(centres[which, 0])))
    return np.column_stack([lat, lon])


TAGS = [
    "music",
    "jazz",
    "chess",
    "hiking",
    "running",
    "yoga",
    "boardgames",
    "books",
    "film",
    "cooking",
    "tech",
    "art",
    "photography",
    "climbing",
    "cycling",
    "dance",
    "theatre",
    "poetry",
    "languages",
    "volunteering",
    "gardening",
    "coffee",
    "wine",
    "science",
    "history",
    "startups",
    "design",
    "football",
    "tennis",
    "swimming",
    "meditation",
    "crafts",
    "comedy",
    "karaoke",
    "sketching",
    "birding",
    "astronomy",
    "kayaking",
    "quiz",
    "improv",
]
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def tag_names(n: int) -> np.ndarray:
    """Readable tag names (then ``t40``, ``t41``, … beyond the list), most popular first."""
    return np.array([TAGS[i] if i < len(TAGS) else f"t{i:02d}" for i in range(n)], dtype=object)


def titles(tags: list[list[str]], start: np.ndarray) -> list[str]:
    """Titles that say what and when ("jazz, Tue 18:30"), for plots and reports."""
    out = []
    for i, (t, s) in enumerate(zip(tags, start, strict=True)):
        when = datetime.fromtimestamp(float(s), UTC)
        out.append(f"{t[0]} #{i}, {DAYS[when.weekday()]} {when:%H:%M}")
    return out


def _tag_sets(
    rng: np.random.Generator, n: int, lo: int, hi: int, weights: np.ndarray, names: np.ndarray
) -> list[list[str]]:
    """``lo``–``hi`` distinct tags per row, drawn by weight (Gumbel top-k: no Python loop per draw)."""
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, weights.size))
    order = np.argsort(-keys, axis=1)
    sizes = rng.integers(lo, hi + 1, n)
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
    names = tag_names(config.n_tags)

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
    tags = _tag_sets(rng, m, 1, 3, tag_weights, names)
    opportunities = Opportunities.build(
        np.array([f"o{i:04d}" for i in range(m)], dtype=object),
        capacity,
        title=titles(tags, start),
        start=start,
        end=finish,
        lat=venue[:, 0],
        lon=venue[:, 1],
        tags=tags,
    )
    appeal = rng.normal(0.0, config.appeal_sigma, m)
    # A separate stream for the regime knobs, so switching them on leaves everything else equal.
    extra = np.random.default_rng([config.seed, 2])
    hit = extra.random(m) < config.hit_share
    arrives = extra.random(n) < config.arrival_share
    arrival = T0 + extra.uniform(0, 0.6 * days * DAY, n)

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
    joined_at = np.where(arrives & ~first_timer, arrival, joined_at)
    rate = config.sessions_per_day_median * np.exp(rng.normal(0.0, config.sessions_per_day_sigma, n))
    rate = np.minimum(rate, 6.0)
    wanted = np.ones(n, dtype=np.int64)
    very_active = round(config.very_active_share * n)
    if very_active:
        wanted[np.argsort(-rate, kind="stable")[:very_active]] = config.very_active_seats
    participants = ParticipantProfiles.build(
        np.array([f"p{i:06d}" for i in range(n)], dtype=object),
        interests=_tag_sets(rng, n, 1, 4, tag_weights, names),
        lat=home[:, 0],
        lon=home[:, 1],
        availability=availability,
        first_timer=first_timer,
        joined_at=joined_at,
    )
    return Community(
        participants,
        opportunities,
        created_at,
        appeal,
        rate,
        wanted,
        T0,
        end,
        hit=hit,
        hit_appeal=config.hit_appeal,
        hit_seconds=config.hit_hours * HOUR,
    )
