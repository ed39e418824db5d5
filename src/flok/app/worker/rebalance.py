"""The ``rebalance`` run: recompute pulses from stored demand and recommend seats (flok.pulse.rebalance)."""

from __future__ import annotations

import math

import numpy as np

from flok.app.market import build_participants, snapshot
from flok.app.matching import rebalance_configs
from flok.app.worker.jobs import ProgressFn, plain_json, store_or_discard
from flok.pulse import FitScorer, rebalance
from flok.store import community
from flok.store.db import Database
from flok.store.rows import RunRow


def run_rebalance(db: Database, run: RunRow, progress: ProgressFn) -> None:
    org = run.org_id
    options, fit, config = rebalance_configs(run.options)
    progress(0.0, "loading participants and opportunities")
    with db.read() as conn:
        snap = snapshot(conn, org, config)
        people = community.list_participants(conn, org)
    progress(0.2, "scoring and allocating")
    result = rebalance(FitScorer(build_participants(people), snap.opportunities, fit), snap.market, options)
    seated = np.flatnonzero(result.seat >= 0)
    row_id = [r.id for r in snap.rows]
    rows = [
        {
            "org_id": org,
            "participant_id": str(result.participant_ids[p]),
            "opportunity": row_id[int(result.seat[p])],
            "score": float(result.score[p]),
            "run_id": run.id,
        }
        for p in seated
    ]
    pulses = [float(p) for p in snap.market.pulse]
    report = {
        **result.metrics,
        "fit_weights": fit.weights(),
        "no_location": fit.no_location,
        "lead_hours": config.lead_hours,
        # None for an opportunity without seats (its pulse is undefined)
        "pulses": {
            str(r.opportunity_id): None if math.isnan(pulses[i]) else round(pulses[i], 4)
            for i, r in enumerate(snap.rows)
        },
    }
    progress(0.9, "storing suggestions")
    with db.write() as conn:
        store_or_discard(conn, run, plain_json(report), f"suggested {len(rows)} seats")
        community.replace_suggestions(conn, org, rows)
