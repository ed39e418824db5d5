"""The state of the market at one moment: demand, pulse and confirmed seats per opportunity."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from flok import metrics
from flok.pulse.community import ACCEPTED, Events, Opportunities, ParticipantProfiles, pad_windows
from flok.pulse.demand import ACTIONS, DemandState, PulseConfig, ingest, labels, market_pulse
from flok.pulse.eligible import joinable, refuse_future

FULL_ACTION = ACTIONS.index("full")


@dataclass(frozen=True, eq=False)
class Market:
    """Per-opportunity demand, pulse and confirmed RSVPs, plus who attends what, as of ``at``."""

    at: float
    demand: np.ndarray
    pulse: np.ndarray
    capacity: np.ndarray
    confirmed: np.ndarray
    attending_participant: np.ndarray
    attending_opportunity: np.ndarray
    config: PulseConfig

    @property
    def remaining(self) -> np.ndarray:
        return np.maximum(self.capacity - self.confirmed, 0)

    def joinable(self, start: np.ndarray) -> np.ndarray:
        """Opportunities (``start`` per opportunity) a person can still join as of ``at``."""
        return joinable(start, self.remaining, self.at, self.config)

    def labels(self, opportunity: int) -> list[str]:
        return labels(
            float(self.pulse[opportunity]),
            int(self.capacity[opportunity]),
            int(self.confirmed[opportunity]),
            self.config,
        )

    def attending(self, participant_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Attendance as (participant index, opportunity index) pairs for the given id list."""
        pos = {str(p): i for i, p in enumerate(participant_ids)}
        idx = np.array([pos.get(str(p), -1) for p in self.attending_participant], dtype=np.int64)
        known = idx >= 0
        return idx[known], self.attending_opportunity[known]


def clashes(
    who: np.ndarray,
    which: np.ndarray,
    opportunities: Opportunities,
    participant: np.ndarray,
    opportunity: np.ndarray,
) -> np.ndarray:
    """Mask of pairs whose opportunity overlaps in time another one the participant attends.

    ``who``/``which`` are attendance pairs (participant index, opportunity index); a person
    cannot be in two places at once, so attending something blocks its time.
    """
    out = np.zeros(participant.size, dtype=bool)
    timed = ~np.isnan(opportunities.start[which])
    who, which = who[timed], which[timed]
    if who.size == 0 or participant.size == 0:
        return out
    n = int(max(participant.max(), who.max())) + 1
    busy_start, busy_end = pad_windows(who, opportunities.start[which], opportunities.end[which], n)
    start, end = opportunities.start[opportunity], opportunities.end[opportunity]
    with np.errstate(invalid="ignore"):
        for j in range(busy_start.shape[1]):
            bs, be = busy_start[participant, j], busy_end[participant, j]
            # Half-open intervals: back-to-back events do not clash; an instant clashes when inside.
            out |= (bs < np.maximum(end, start + 1e-9)) & (start < be)
    return out


def market(
    opportunities: Opportunities,
    events: Events,
    *,
    at: float | None = None,
    config: PulseConfig | None = None,
    now: float | None = None,
) -> Market:
    """Demand, pulse and confirmed seats from the event log, as of ``at`` (default: latest event).

    Pulse is :func:`flok.pulse.demand.market_pulse`: demand per seat left, projected to the
    start.

    An event stamped more than ``config.clock_skew_seconds`` after ``now`` (default: the
    clock) is refused with ``InputError`` naming its row: with it, "the latest event" would be
    in the future and every opportunity's demand would read as decayed to nothing.
    """
    cfg = config or PulseConfig()
    m = len(opportunities)
    refuse_future(events.at, time.time() if now is None else now, cfg)
    ev = events.unique()
    if at is None:
        at = float(ev.at.max()) if len(ev) else 0.0
    state = demand_state(ev, m, cfg, until=at)
    d = state.at(at)
    past = ev.at <= at
    upto = Events(ev.participant_id[past], ev.opportunity[past], ev.action[past], ev.at[past])
    who, which = upto.attending()
    confirmed = np.bincount(which, minlength=m).astype(np.int64)
    return Market(
        at=float(at),
        demand=d,
        pulse=market_pulse(d, opportunities.capacity, confirmed, opportunities.start, float(at), cfg),
        capacity=opportunities.capacity,
        confirmed=confirmed,
        attending_participant=who,
        attending_opportunity=which,
        config=cfg,
    )


def demand_state(
    events: Events, n_opportunities: int, config: PulseConfig, *, until: float | None = None
) -> DemandState:
    """Vectorized demand ingest of an event log (each event id counted once)."""
    return ingest(
        events.opportunity,
        config.weight_table()[events.action],
        events.at,
        n_opportunities,
        tau_seconds=config.tau_seconds,
        event_ids=events.event_id,
        until=until,
    )


def history_metrics(
    events: Events, opportunities: Opportunities, participants: ParticipantProfiles
) -> dict[str, object]:
    """Metrics of what happened in the log: oversubscription, time to first RSVP, exposure.

    Oversubscription counts recorded outcomes: each ``accepted`` event is an RSVP attempt that
    got a seat, each ``full`` event one refused for want of a seat (see ``metrics``).
    """
    ev = events.unique()
    order = np.argsort(ev.at, kind="stable")
    rsvp = order[ev.action[order] == ACCEPTED]
    pos = {str(p): i for i, p in enumerate(participants.ids)}
    first = np.full(len(participants), np.nan)
    idx = np.array([pos.get(str(p), -1) for p in ev.participant_id[rsvp]], dtype=np.int64)
    known = idx >= 0
    # Attempts are in time order, so the first write per participant is their first RSVP.
    first_idx, first_pos = np.unique(idx[known], return_index=True)
    first[first_idx] = ev.at[rsvp][known][first_pos]
    shown = ev.action == ACTIONS.index("shown")
    impressions = np.bincount(ev.opportunity[shown], minlength=len(opportunities))
    refused = int((ev.action == FULL_ACTION).sum())
    attempts = int(rsvp.size) + refused
    return {
        "oversubscription_rate": metrics.oversubscription_rate(refused, attempts),
        "rsvp_attempts": attempts,
        "rsvp_refused": refused,
        "matched_within_24h": metrics.matched_within(participants.joined_at, first, 24.0),
        "time_to_first_rsvp": metrics.time_to_first(participants.joined_at, first),
        "exposure_gini": metrics.gini(impressions),
    }
