"""Small hand-made communities for the pulse tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from flok.pulse import Events, Opportunities, ParticipantProfiles

KM_PER_DEG_LAT = 6371.0088 * np.pi / 180  # 111.195 km along a meridian


def at(hour: float) -> datetime:
    """A time on 2026-11-23 (UTC), hours may exceed 24."""
    return datetime.fromtimestamp(datetime(2026, 11, 23, tzinfo=UTC).timestamp() + hour * 3600, tz=UTC)


def north(km: float, lat0: float = 52.0) -> float:
    """Latitude ``km`` north of ``lat0`` on the same meridian."""
    return lat0 + km / KM_PER_DEG_LAT


def no_events(opps: Opportunities) -> Events:
    return Events.build(opps, participant_id=[], opportunity_id=[], action=[], at=[])


def random_community(
    n: int, m: int, seed: int, max_capacity: int = 3
) -> tuple[ParticipantProfiles, Opportunities]:
    """Random tags, places within ~30 km, evening times and 0–3 windows (some overlapping)."""
    rng = np.random.default_rng(seed)
    vocab = ["music", "jazz", "chess", "sport", "art", "food", "tech", "books"]
    start = [at(float(h)) for h in rng.integers(17, 21, m) + 24 * rng.integers(0, 3, m)]
    opps = Opportunities.build(
        [f"o{i}" for i in range(m)],
        rng.integers(0, max_capacity + 1, m),
        start=start,
        end=[s.timestamp() + 3600 * int(d) for s, d in zip(start, rng.integers(1, 3, m), strict=True)],
        lat=[north(float(k)) for k in rng.uniform(0, 30, m)],
        lon=[4.9] * m,
        tags=[list(rng.choice(vocab, int(rng.integers(0, 4)), replace=False)) for _ in range(m)],
    )
    windows = []
    for _ in range(n):
        mine = []
        for _ in range(int(rng.integers(0, 4))):
            s = float(rng.integers(15, 20) + 24 * rng.integers(0, 3))
            mine.append((at(s), at(s + float(rng.integers(2, 7)))))
        windows.append(mine)
    people = ParticipantProfiles.build(
        [f"p{i}" for i in range(n)],
        interests=[list(rng.choice(vocab, int(rng.integers(1, 4)), replace=False)) for _ in range(n)],
        lat=[north(float(k)) for k in rng.uniform(0, 30, n)],
        lon=[4.9] * n,
        availability=windows,
    )
    return people, opps


def blocked(opps: Opportunities, attending: set[tuple[int, int]], n: int) -> set[tuple[int, int]]:
    """Pairs a participant cannot take: what they attend and anything overlapping it in time."""
    out = set(attending)
    for p, j in attending:
        for o in range(len(opps)):
            if opps.start[j] < opps.end[o] and opps.start[o] < opps.end[j]:
                out.add((p, o))
    return out
