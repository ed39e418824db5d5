"""A run as the files ``flok pulse`` reads: opportunities, participants and the event log.

So the calibration the defaults come from can be rerun from the command line
(``flok simulate --log-dir`` then ``flok pulse calibrate``, docs/pulse.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from flok.pulse.demand import ACTIONS
from flok.sim.community import Community
from flok.sim.run import PolicyOutcome


def _iso(t: float) -> str:
    return datetime.fromtimestamp(float(t), UTC).isoformat()


def _isos(values: np.ndarray) -> list[str]:
    return ["" if np.isnan(v) else _iso(v) for v in values]


def log_tables(community: Community, outcome: PolicyOutcome) -> dict[str, pa.Table]:
    """``opportunities.csv``, ``participants.csv`` and ``events.csv`` tables of one policy's run."""
    opps, parts = community.opportunities, community.participants
    opportunities = pa.table(
        {
            "opportunity_id": pa.array(opps.ids.astype(str)),
            "capacity": pa.array(opps.capacity),
            "title": pa.array(opps.title.astype(str)),
            "start": pa.array(_isos(opps.start)),
            "end": pa.array(_isos(opps.end)),
            "lat": pa.array(np.round(opps.lat, 6)),
            "lon": pa.array(np.round(opps.lon, 6)),
            "tags": pa.array([";".join(t) for t in opps.tags.to_pylist()]),
        }
    )
    windows = [
        ";".join(f"{_iso(a)}/{_iso(b)}" for a, b in zip(s, e, strict=True) if not np.isnan(a))
        for s, e in zip(parts.avail_start, parts.avail_end, strict=True)
    ]
    participants = pa.table(
        {
            "participant_id": pa.array(parts.ids.astype(str)),
            "interests": pa.array([";".join(t) for t in parts.interests.to_pylist()]),
            "lat": pa.array(np.round(parts.lat, 6)),
            "lon": pa.array(np.round(parts.lon, 6)),
            "availability": pa.array(windows),
            "first_timer": pa.array(["true" if f else "false" for f in parts.first_timer]),
            "joined_at": pa.array(_isos(parts.joined_at)),
        }
    )
    who, opp, action, at = outcome.events
    events = pa.table(
        {
            "event_id": pa.array([f"e{i}" for i in range(who.size)]),
            "participant_id": pa.array(parts.ids[who].astype(str)),
            "opportunity_id": pa.array(opps.ids[opp].astype(str)),
            "action": pa.array(np.array(ACTIONS, dtype=object)[action].astype(str)),
            "at": pa.array([_iso(t) for t in at]),
        }
    )
    return {"opportunities.csv": opportunities, "participants.csv": participants, "events.csv": events}
