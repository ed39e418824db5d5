"""Demand and pulse (ARCHITECTURE §5): decayed feedback per opportunity and its 0–100 transform.

Times are seconds since the Unix epoch (floats) everywhere in the arrays; the scalar
functions also accept timezone-aware datetimes so the service can pass database values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.errors import InputError

ACTIONS: tuple[str, ...] = ("shown", "clicked", "accepted", "declined", "full")
"""Feedback actions, in the order of their integer codes. ``full`` is an RSVP attempt refused
because no seat was left: the recorded outcome the oversubscription rate counts."""

HOUR = 3600.0
K_DEFAULT = 10.0
"""``flok pulse calibrate`` on the simulator's reference log (docs/pulse.md, "Calibration")."""
LAM_DEFAULT = 0.01
"""Same calibration run: the median fit lead of a person's first over fourth option ÷ 20."""
CONFIG_KEYS = (
    "weights",
    "tau_hours",
    "k",
    "lam",
    "horizon_hours",
    "high_demand_pulse",
    "limited_share",
    "limited_seats",
    "lead_hours",
    "clock_skew_seconds",
)

T = TypeVar("T", float, datetime)


@dataclass(frozen=True)
class PulseConfig:
    """Every tunable of demand, pulse, adjusted score and labels, with ARCHITECTURE §5 defaults."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "shown": 0.0,
            "clicked": 0.2,
            "accepted": 1.0,
            "declined": -0.5,
            "full": 0.0,
        }
    )
    tau_hours: float = 12.0
    k: float = K_DEFAULT
    """Pressure (projected demand per seat left, see :func:`pressure`) that reads as pulse 73.1;
    calibrated with :func:`flok.pulse.calibrate.calibrate` (docs/pulse.md, "Calibration")."""
    lam: float = LAM_DEFAULT
    """λ in ``S_adj = S − λ·(pulse − 50)``; calibrated so that "High demand" costs a weak match
    about three feed positions (:func:`flok.pulse.calibrate.calibrate`)."""
    horizon_hours: float = 24.0
    """How far ahead demand is projected: the recent rate ``D/τ`` over the time left before
    sign-up closes, at most this long (people decide within about a day)."""
    high_demand_pulse: float = 70.0
    limited_share: float = 0.2
    limited_seats: int = 2
    """"Limited spots" when some seats are taken and those left are at most ``limited_share`` of
    capacity or at most this many: a share alone never fires on small opportunities (20 % of 4
    seats is 0.8)."""
    lead_hours: float = 1.0
    """Sign-up closes this long before an opportunity starts: only later ones can be joined."""
    clock_skew_seconds: float = 300.0
    """How far ahead of the clock an event may be stamped; later ones are refused, since one
    event in the far future would freeze its opportunity's demand (decay runs from the latest)."""

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(ACTIONS)
        if unknown:
            raise InputError(
                f"unknown action {sorted(unknown)[0]!r}; actions are {', '.join(ACTIONS)}",
                source="pulse config",
                field="weights",
            )
        for name in ("tau_hours", "k", "horizon_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(
                    f"{name} must be a positive number, got {value}", source="pulse config", field=name
                )
        for name in ("lead_hours", "clock_skew_seconds", "limited_seats", "lam"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be ≥ 0, got {value}", source="pulse config", field=name)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PulseConfig:
        """A config from a JSON object such as ``flok pulse calibrate`` writes.

        Files written before the pressure scale (without ``horizon_hours``) still load, with
        the new field at its default; ``lambda`` is accepted for ``lam``. Unknown keys are
        refused, so a typo never silently keeps a default.
        """
        values = dict(data)
        if "lambda" in values:
            values["lam"] = values.pop("lambda")
        unknown = sorted(set(values) - set(CONFIG_KEYS))
        if unknown:
            raise InputError(
                f"unknown pulse setting {unknown[0]!r}; settings are {', '.join(CONFIG_KEYS)}",
                source="pulse config",
                field=unknown[0],
            )
        out: dict[str, object] = {}
        for key, value in values.items():
            if key == "weights":
                if not isinstance(value, Mapping):
                    raise InputError("weights must be an object", source="pulse config", field="weights")
                out[key] = {str(a): _number(w, f"weights.{a}") for a, w in value.items()}
            elif key == "limited_seats":
                out[key] = int(_number(value, key))
            else:
                out[key] = _number(value, key)
        return cls(**out)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """Every setting, JSON-ready (the inverse of :meth:`from_dict`)."""
        return {key: (dict(self.weights) if key == "weights" else getattr(self, key)) for key in CONFIG_KEYS}

    @property
    def lead_seconds(self) -> float:
        return self.lead_hours * HOUR

    @property
    def tau_seconds(self) -> float:
        return self.tau_hours * HOUR

    def weight_table(self) -> np.ndarray:
        """Weights indexed by action code (see ``ACTIONS``); missing actions weigh 0."""
        return np.array([float(self.weights.get(a, 0.0)) for a in ACTIONS])

    def weight(self, action: str) -> float:
        if action not in ACTIONS:
            raise InputError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}", field="action")
        return float(self.weights.get(action, 0.0))


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} must be a number, got {value!r}", source="pulse config", field=name)
    return float(value)


def _elapsed(later: T, earlier: T) -> float:
    if isinstance(later, datetime) and isinstance(earlier, datetime):
        return (later - earlier).total_seconds()
    return float(later) - float(earlier)


def update(
    demand: float, t_ref: T | None, weight: float, t: T, *, tau_seconds: float = 12 * HOUR
) -> tuple[float, T]:
    """Fold one event of weight ``weight`` at time ``t`` into a stored ``(demand, t_ref)``.

    Pure, so the service can run it inside the transaction that stores the event. A newer
    event moves ``t_ref`` forward and decays the old demand; a late one is decayed by its
    age. ``t_ref`` None means no event yet. De-duplicating event ids is the caller's job
    (a unique key on the event id), since a pure function cannot remember them.
    """
    if t_ref is None:
        return float(weight), t
    age = _elapsed(t, t_ref)
    if age >= 0:
        return float(demand) * math.exp(-age / tau_seconds) + weight, t
    return float(demand) + weight * math.exp(age / tau_seconds), t_ref


def demand_at(demand: float, t_ref: T | None, t: T, *, tau_seconds: float = 12 * HOUR) -> float:
    """Read stored demand at a time ``t ≥ t_ref`` (the past before ``t_ref`` is not recoverable)."""
    if t_ref is None:
        return 0.0
    age = _elapsed(t, t_ref)
    if age < 0:
        raise InputError("cannot read demand before its reference time t_ref", field="t")
    return float(demand) * math.exp(-age / tau_seconds)


def pulse(demand: np.ndarray | float, capacity: np.ndarray | float, *, k: float = 5.0) -> np.ndarray:
    """``100·σ(D/(k·capacity))``; NaN (undefined) for an opportunity without seats.

    The plain transform of stored demand against all seats, kept for callers that have no seat
    count or start at hand; :func:`market_pulse` is the reading the feed, rebalance, labels and
    the simulator use (demand per seat left, projected to the start).

    Demand relative to seats means nothing without seats: a capacity-0 opportunity is
    "Closed" (see ``labels``), not in high demand, and metrics leave it out.
    """
    from scipy.special import expit  # SciPy loads when a pulse is computed, not on import

    d = np.asarray(demand, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    scale = k * np.where(cap > 0, cap, 1.0)
    return np.where(cap > 0, 100.0 * expit(d / scale), np.nan)


def pulse_one(demand: float, capacity: float, *, k: float = 5.0) -> float:
    """``pulse`` for one opportunity, in plain floats: the per-request path, ~30× faster than numpy."""
    if capacity <= 0:
        return math.nan
    x = demand / (k * capacity)
    if x >= 0:
        return 100.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return 100.0 * e / (1.0 + e)


def pressure(
    demand: np.ndarray | float,
    capacity: np.ndarray | float,
    confirmed: np.ndarray | float,
    start: np.ndarray | float,
    at: float,
    config: PulseConfig,
) -> np.ndarray:
    """Demand expected before sign-up closes, per seat left: what pulse reads (NaN without seats).

    ``D`` is a decayed count, about the recent rate × τ, so ``D·window/τ`` is the weighted
    demand (RSVPs, clicks, minus declines) still to come if that rate holds, with ``window``
    the time until sign-up closes capped at ``horizon_hours`` (an opportunity without a time
    gets the whole horizon). Dividing by the seats left (at least 1, so a full one with demand
    stays hot) makes 3 clicks on the last seat hotter than 3 clicks on 40 free seats, and the
    same buzz hotter a day ahead than an hour before sign-up closes, when few newcomers are left.
    """
    d = np.asarray(demand, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    left = np.maximum(cap - np.asarray(confirmed, dtype=np.float64), 1.0)
    s = np.asarray(start, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        window = np.where(
            np.isnan(s), config.horizon_hours * HOUR, np.clip(s - config.lead_seconds - at, 0.0, None)
        )
    window = np.minimum(window, config.horizon_hours * HOUR)
    return np.where(cap > 0, d * (window / config.tau_seconds) / left, np.nan)


def market_pulse(
    demand: np.ndarray | float,
    capacity: np.ndarray | float,
    confirmed: np.ndarray | float,
    start: np.ndarray | float,
    at: float,
    config: PulseConfig,
) -> np.ndarray:
    """``100·σ(pressure/k)``: 50 without net demand, 73.1 at pressure ``k``, below 50 when declines
    outweigh interest; NaN without seats (see :func:`pressure`)."""
    from scipy.special import expit

    x = pressure(demand, capacity, confirmed, start, at, config)
    return np.asarray(100.0 * expit(x / config.k))


def market_pulse_one(
    demand: float, capacity: int, confirmed: int, start: float | None, at: float, config: PulseConfig
) -> float:
    """:func:`market_pulse` for one opportunity in plain floats (``start`` None: no time), for the
    service's per-request answers (a feedback post, one opportunity), ~30× cheaper than NumPy.
    NaN without seats."""
    if capacity <= 0:
        return math.nan
    horizon = config.horizon_hours * HOUR
    window = horizon if start is None else min(max(start - config.lead_seconds - at, 0.0), horizon)
    x = demand * (window / config.tau_seconds) / max(capacity - confirmed, 1) / config.k
    if x >= 0:
        return 100.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return 100.0 * e / (1.0 + e)


def adjusted_score(
    score: np.ndarray | float, pulse_value: np.ndarray | float, *, lam: float = LAM_DEFAULT
) -> np.ndarray:
    """``S_adj = S − λ·(pulse − 50)``: hot opportunities lose a little, quiet ones gain."""
    return np.asarray(score, dtype=np.float64) - lam * (np.asarray(pulse_value, dtype=np.float64) - 50.0)


def labels(pulse_value: float, capacity: int, confirmed: int, config: PulseConfig | None = None) -> list[str]:
    """Badges an app shows next to an opportunity ("High demand", "Limited spots", "Full", "Closed").

    "Limited spots": some seats taken and those left ≤ ``limited_share``·capacity or
    ≤ ``limited_seats``, whichever is more, so small opportunities pass through it before
    "Full" (an untouched 2-seat one is not "limited": nothing is running out yet). An
    opportunity without seats is "Closed" and nothing else (its pulse is undefined).
    """
    cfg = config or PulseConfig()
    if capacity <= 0:
        return ["Closed"]
    out = []
    if pulse_value >= cfg.high_demand_pulse:  # False for NaN
        out.append("High demand")
    remaining = capacity - confirmed
    if remaining <= 0:
        out.append("Full")
    elif remaining < capacity and remaining <= max(cfg.limited_share * capacity, cfg.limited_seats):
        out.append("Limited spots")
    return out


@dataclass(frozen=True)
class DemandState:
    """``(D, t_ref)`` per opportunity, as the service stores it; ``t_ref`` is NaN before any event."""

    demand: np.ndarray
    t_ref: np.ndarray
    tau_seconds: float

    def at(self, t: float) -> np.ndarray:
        """Demand of every opportunity at one time ``t`` (at or after every ``t_ref``)."""
        ref = np.where(np.isnan(self.t_ref), t, self.t_ref)
        if np.any(ref > t):
            raise InputError("cannot read demand before an opportunity's reference time t_ref", field="t")
        return self.demand * np.exp(-(t - ref) / self.tau_seconds)


def first_occurrence(event_ids: np.ndarray | pa.Array | None, n: int) -> np.ndarray:
    """Mask keeping the first event of each repeated id; empty or missing ids are always kept."""
    keep = np.ones(n, dtype=bool)
    if event_ids is None:
        return keep
    arr = event_ids if isinstance(event_ids, pa.Array) else pa.array(np.asarray(event_ids, dtype=object))
    arr = pc.fill_null(pc.cast(arr, pa.string()), "")
    enc = pc.dictionary_encode(arr)
    if len(enc.dictionary) == n:
        return keep
    codes = enc.indices.to_numpy(zero_copy_only=False)
    first = np.full(len(enc.dictionary), n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n, dtype=np.int64))
    keep = first[codes] == np.arange(n)
    blank = np.asarray(pc.equal(arr, "").to_numpy(zero_copy_only=False), dtype=bool)
    return keep | blank


def ingest(
    opportunity: np.ndarray,
    weight: np.ndarray,
    at: np.ndarray,
    n_opportunities: int,
    *,
    tau_seconds: float = 12 * HOUR,
    event_ids: np.ndarray | pa.Array | None = None,
    until: float | None = None,
) -> DemandState:
    """Demand state from a batch of events at once, in any order, counting each event id once.

    Equivalent to folding every event through :func:`update`, but vectorized: per opportunity
    ``t_ref`` is its latest event and ``D = Σ wᵢ·exp(−(t_ref − tᵢ)/τ)``. With ``until`` only
    events at or before that time count (the demand "as of" ``until``).
    """
    opp = np.asarray(opportunity, dtype=np.int64)
    w = np.asarray(weight, dtype=np.float64)
    t = np.asarray(at, dtype=np.float64)
    keep = first_occurrence(event_ids, opp.size)
    if until is not None:
        keep &= t <= until
    if not keep.all():
        opp, w, t = opp[keep], w[keep], t[keep]
    t_ref = np.full(n_opportunities, -np.inf)
    np.maximum.at(t_ref, opp, t)
    contrib = w * np.exp((t - t_ref[opp]) / tau_seconds)
    demand = np.bincount(opp, weights=contrib, minlength=n_opportunities)
    t_ref[np.isneginf(t_ref)] = np.nan
    return DemandState(demand=demand, t_ref=t_ref, tau_seconds=tau_seconds)
