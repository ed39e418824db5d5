"""Calibrate pulse from an event log: ``k`` from what over-demanded opportunities looked like,
``λ`` from how far apart people's options are.

The procedure (docs/pulse.md, "Calibration"):

1. **Over-demanded** opportunities are those the log shows running out: an RSVP refused as
   ``full``, or confirmed RSVPs reaching capacity.
2. Each opportunity's **signal** is the highest :func:`~flok.pulse.demand.pressure` it had right
   after one of its events while a seat was still left (the moments people were deciding).
3. ``k`` is chosen so that the *median* over-demanded opportunity reaches "High demand" at its
   signal: ``k = median(signal) / logit(high_demand_pulse / 100)``. No net demand reads 50
   whatever ``k`` is (σ(0) = ½), so a neutral opportunity stays at 50 by construction.
4. With participants, ``λ`` is chosen so that "High demand" costs a weak match about
   ``positions`` feed places: ``λ = median(S₁ − S₁₊positions) / (high_demand_pulse − 50)`` over
   the people with that many eligible options (``Sᵢ`` their i-th best fit). A person whose best
   option leads by more keeps it on top however hot it is.

Both numbers keep two significant digits: the procedure sets a scale, not a fit to the last
decimal. ``k`` is rounded down, so the median over-demanded opportunity does reach "High demand".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from flok.errors import InputError
from flok.pulse.community import Events, Opportunities
from flok.pulse.demand import ACTIONS, HOUR, PulseConfig, pressure

ACCEPTED, DECLINED, FULL = (ACTIONS.index(a) for a in ("accepted", "declined", "full"))


@dataclass(frozen=True)
class Calibration:
    """The calibrated config and the evidence behind it."""

    config: PulseConfig
    opportunities: int
    over_demanded: int
    signal_median: float
    reached_high: float
    """Share of over-demanded opportunities whose signal reads "High demand" at the new ``k``."""
    false_alarms: float | None
    """Share of the others (never ran out) whose signal reads "High demand" at the new ``k``."""
    participants: int
    fit_gap_median: float | None
    lam_source: str
    """``"fit"`` when λ comes from participants' options, ``"default"`` when none were given."""

    def summary(self) -> dict[str, object]:
        return {
            "k": self.config.k,
            "lam": self.config.lam,
            "opportunities": self.opportunities,
            "over_demanded": self.over_demanded,
            "signal_median": round(self.signal_median, 4),
            "reached_high_demand": round(self.reached_high, 4),
            "false_alarms": None if self.false_alarms is None else round(self.false_alarms, 4),
            "participants": self.participants,
            "fit_gap_median": None if self.fit_gap_median is None else round(self.fit_gap_median, 4),
            "lam_source": self.lam_source,
        }


def round2(value: float) -> float:
    """Two significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.2g}")


def floor2(value: float) -> float:
    """Two significant digits, rounded down (towards 0) so a threshold met before is still met."""
    if value <= 0 or not math.isfinite(value):
        return value
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return float(f"{math.floor(value / scale + 1e-9) * scale:.2g}")


def signals(
    opportunities: Opportunities, events: Events, config: PulseConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Per opportunity: its signal (highest pressure after an event while a seat was left; 0
    without events) and whether it ran out (a ``full`` event, or confirmed reaching capacity).

    Replays the log in time order (ties in row order) with the same decay as ``ingest``;
    a participant's latest ``accepted``/``declined`` decides whether they hold a seat.
    """
    ev = events.unique()
    m = len(opportunities)
    weights = config.weight_table()
    order = np.lexsort((np.arange(len(ev)), ev.at, ev.opportunity))
    signal = np.zeros(m)
    ran_out = np.zeros(m, dtype=bool)
    cap = opportunities.capacity
    tau = config.tau_seconds
    current = -1
    demand, t_ref = 0.0, 0.0
    holders: set[str] = set()
    for i in order:
        o = int(ev.opportunity[i])
        t = float(ev.at[i])
        if o != current:
            current, demand, t_ref, holders = o, 0.0, t, set()
        demand = demand * math.exp(-(t - t_ref) / tau) + float(weights[ev.action[i]])
        t_ref = t
        action = int(ev.action[i])
        who = str(ev.participant_id[i])
        if action == ACCEPTED:
            holders.add(who)
        elif action == DECLINED:
            holders.discard(who)
        elif action == FULL:
            ran_out[o] = True
        if cap[o] <= 0:
            continue
        if len(holders) >= cap[o]:
            ran_out[o] = True
            continue
        x = float(pressure(demand, cap[o], len(holders), opportunities.start[o], t, config))
        signal[o] = max(signal[o], x)
    return signal, ran_out & (cap > 0)


def calibrate_k(opportunities: Opportunities, events: Events, base: PulseConfig) -> tuple[float, Calibration]:
    """``k`` from the log (step 1–3 of the module docstring), and the evidence."""
    signal, ran_out = signals(opportunities, events, base)
    hot = signal[ran_out]
    if hot.size == 0 or not np.any(hot > 0):
        raise InputError(
            "no opportunity in the log ran out of seats with demand before it (no 'full' event, "
            "no opportunity whose RSVPs reached its capacity): k cannot be calibrated from it",
            source="events",
        )
    logit = math.log(base.high_demand_pulse / (100.0 - base.high_demand_pulse))
    median = float(np.median(hot))
    k = floor2(median / logit)
    high = 100.0 / (1.0 + np.exp(-signal / k)) >= base.high_demand_pulse
    others = (opportunities.capacity > 0) & ~ran_out
    evidence = Calibration(
        config=replace(base, k=k),
        opportunities=int((opportunities.capacity > 0).sum()),
        over_demanded=int(ran_out.sum()),
        signal_median=median,
        reached_high=float(high[ran_out].mean()),
        false_alarms=float(high[others].mean()) if others.any() else None,
        participants=0,
        fit_gap_median=None,
        lam_source="default",
    )
    return k, evidence


def fit_gaps(best: np.ndarray, owner: np.ndarray, positions: int) -> np.ndarray:
    """Per owner with more than ``positions`` options: best fit minus the (1 + positions)-th."""
    order = np.lexsort((-best, owner))
    o, s = owner[order], best[order]
    first = np.searchsorted(o, o)
    nth = np.arange(o.size) - first
    top = s[first]
    pick = nth == positions
    return np.asarray(top[pick] - s[pick])


def calibrate(
    opportunities: Opportunities,
    events: Events,
    *,
    base: PulseConfig | None = None,
    scorer: object | None = None,
    positions: int = 3,
) -> Calibration:
    """Calibrate ``k`` (and ``λ`` when ``scorer``, a :class:`~flok.pulse.fit.FitScorer` of the
    community's participants and these opportunities, is given). See the module docstring."""
    from flok.pulse.fit import FitScorer
    from flok.pulse.market import Market
    from flok.pulse.rebalance import RebalanceConfig, candidates

    cfg = base or PulseConfig()
    if positions < 1:
        raise InputError("positions must be at least 1", field="positions")
    k, evidence = calibrate_k(opportunities, events, cfg)
    if scorer is None:
        return evidence
    if not isinstance(scorer, FitScorer):
        raise TypeError("scorer must be a FitScorer")
    m = len(opportunities)
    starts = opportunities.start[~np.isnan(opportunities.start)]
    before = float(starts.min()) - cfg.lead_seconds - HOUR if starts.size else 0.0
    # Every opportunity open and quiet (pulse 50): the candidates are people's options by fit alone.
    calm = Market(
        at=before,
        demand=np.zeros(m),
        pulse=np.full(m, 50.0),
        capacity=np.maximum(opportunities.capacity, 1),
        confirmed=np.zeros(m, dtype=np.int64),
        attending_participant=np.zeros(0, dtype=object),
        attending_opportunity=np.zeros(0, dtype=np.int64),
        config=cfg,
    )
    cand = candidates(scorer, calm, RebalanceConfig(top_k=positions + 1))
    gaps = fit_gaps(cand.fit, cand.participant, positions)
    if gaps.size == 0:
        raise InputError(
            f"no participant has more than {positions} eligible options: λ cannot be calibrated",
            source="participants",
        )
    gap = float(np.median(gaps))
    lam = round2(gap / (cfg.high_demand_pulse - 50.0))
    return replace(
        evidence,
        config=replace(cfg, k=k, lam=lam),
        participants=len(scorer.participants),
        fit_gap_median=gap,
        lam_source="fit",
    )
