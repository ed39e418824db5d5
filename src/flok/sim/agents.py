"""The behaviour model: who opens the app, what they click, RSVP to, and what happens on "Full".

Each function handles every agent of one time step at once with numpy. The model, in order:

1. **Sessions.** A participant who has joined, has not given up and still wants a seat opens
   the app in a step with probability ``rate·step/16 h`` during waking hours (07–23).
2. **Feed.** They see the policy's top ``feed_size`` possible opportunities.
3. **Click.** Item at position ``r`` (0 = top) is clicked with probability
   ``click_rate · position_decay^r · clip(u, 0, 1)``, where ``u = fit + appeal``.
4. **RSVP intent.** A click becomes an RSVP attempt with probability ``σ((u − rsvp_mid)/rsvp_width)``;
   they try their intended items in feed order, at most ``attempts_per_session``.
5. **Full.** An attempt on an opportunity without a seat for them is a "Full" dead-end: they
   give up for good with probability ``give_up_after_full`` (``…_first_timer`` for newcomers),
   otherwise they try their next intended item or come back in a later session.
6. **Quit.** A session without any RSVP attempt ends their search with ``quit_after_empty_session``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from flok.sim.config import SimConfig

WAKING_HOURS = (7, 23)


def sessions(
    rng: np.random.Generator, seeking: np.ndarray, rate_per_day: np.ndarray, hour: float, step_hours: float
) -> np.ndarray:
    """Indices of the seeking participants who open the app in this step."""
    lo, hi = WAKING_HOURS
    if not lo <= hour < hi:
        return np.zeros(0, dtype=np.int64)
    p = np.minimum(rate_per_day * step_hours / (hi - lo), 1.0)
    return np.flatnonzero(seeking & (rng.random(seeking.size) < p))


def top_per_owner(
    owner: np.ndarray, key: np.ndarray, tie: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of each owner's ``size`` best items by ``key`` (ties: lower ``tie`` first) and ranks."""
    order = np.lexsort((tie, -key, owner))
    sorted_owner = owner[order]
    rank = np.arange(order.size) - np.searchsorted(sorted_owner, sorted_owner)
    keep = rank < size
    return order[keep], rank[keep]


def intentions(
    rng: np.random.Generator, config: SimConfig, owner: np.ndarray, rank: np.ndarray, utility: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Clicks and RSVP intents for feed items given in (owner, rank) order.

    Returns the click mask and each item's intent order (0 = first item they will try,
    −1 = no intent); only the first ``attempts_per_session`` intents are kept.
    """
    u = np.clip(utility, 0.0, 1.0)
    clicked = rng.random(owner.size) < config.click_rate * config.position_decay**rank * u
    wants = clicked & (rng.random(owner.size) < expit((utility - config.rsvp_mid) / config.rsvp_width))
    count = np.cumsum(wants)
    before = count - wants
    first = np.searchsorted(owner, owner)
    nth = before - before[first]
    nth = np.where(wants & (nth < config.attempts_per_session), nth, -1)
    return clicked, nth


def resolve(
    rng: np.random.Generator, opportunity: np.ndarray, seats: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which of simultaneous RSVP attempts get a seat: first come, first served in random order.

    ``seats`` is the number of seats each opportunity still has for these attempts. Returns the
    success mask and the processing order (for the attempt log).
    """
    order = rng.permutation(opportunity.size)
    o = opportunity[order]
    by_opp = np.argsort(o, kind="stable")
    so = o[by_opp]
    nth = np.arange(so.size) - np.searchsorted(so, so)
    ok = np.zeros(opportunity.size, dtype=bool)
    ok[order[by_opp]] = nth < seats[so]
    return ok, order


def give_up(rng: np.random.Generator, config: SimConfig, first_timer: np.ndarray) -> np.ndarray:
    """Who gives up for good after hitting "Full" (newcomers are more easily discouraged)."""
    p = np.where(first_timer, config.give_up_after_full_first_timer, config.give_up_after_full)
    return rng.random(first_timer.size) < p
