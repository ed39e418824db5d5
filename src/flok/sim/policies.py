"""The matching policies compared by the simulator, and how each one ranks a feed.

| policy | feed order | hides "Full" | push / rebalance | seats for first-timers |
| --- | --- | --- | --- | --- |
| ``fcfs`` | popularity (RSVPs + 0.2·clicks so far) | no | no | no |
| ``fit`` | personal fit ``S`` | no | no | no |
| ``fit_open`` | ``S`` | yes | no | no |
| ``fit_push`` | ``S`` | yes | every 12 h, each person's best open opportunity | no |
| ``flok_no_pulse`` | ``S`` (λ = 0) | yes | rebalance every 12 h, on ``S`` | no |
| ``flok`` | ``S_adj = S − λ·(pulse − 50)`` | yes | rebalance every 12 h, on ``S_adj`` | no |
| ``flok_inclusion`` | as ``flok`` | yes | as ``flok`` | a share until a release time |

``fit_open`` and ``fit_push`` are the strongest baselines a reasonable app would run without
Flok; ``flok_no_pulse`` is Flok with the pulse switched off, so ``flok`` against it is the
pulse's own effect. ``flok_feed`` (the ``flok`` feed without rebalance) is an ablation, run
only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from flok.errors import InputError
from flok.pulse import adjusted_score

Ranking = Literal["popularity", "fit", "adjusted"]


@dataclass(frozen=True)
class Policy:
    """One way of running the community: what the feed shows and whether Flok steps in."""

    name: str
    ranking: Ranking
    capacity_aware: bool
    rebalance: bool
    reserve: bool
    push: bool = False
    """Naive push: each person still looking is sent their best open opportunity by fit, with
    no coordination between people (several may be pushed the last seat)."""
    pulse: bool = True
    """Whether pulse steers the rebalance (``False``: λ = 0 there, whatever the config)."""

    def feed_key(
        self, fit: np.ndarray, opportunity: np.ndarray, pulse: np.ndarray, popularity: np.ndarray, lam: float
    ) -> np.ndarray:
        """Higher is shown first; ``opportunity`` indexes the per-opportunity ``pulse``/``popularity``."""
        if self.ranking == "popularity":
            return popularity[opportunity]
        if self.ranking == "fit":
            return fit
        return adjusted_score(fit, pulse[opportunity], lam=lam)


POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy("fcfs", "popularity", capacity_aware=False, rebalance=False, reserve=False),
        Policy("fit", "fit", capacity_aware=False, rebalance=False, reserve=False),
        Policy("fit_open", "fit", capacity_aware=True, rebalance=False, reserve=False),
        Policy("fit_push", "fit", capacity_aware=True, rebalance=False, reserve=False, push=True),
        Policy("flok_no_pulse", "fit", capacity_aware=True, rebalance=True, reserve=False, pulse=False),
        Policy("flok", "adjusted", capacity_aware=True, rebalance=True, reserve=False),
        Policy("flok_inclusion", "adjusted", capacity_aware=True, rebalance=True, reserve=True),
        Policy("flok_feed", "adjusted", capacity_aware=True, rebalance=False, reserve=False),
    )
}
DEFAULT = ("fcfs", "fit", "fit_open", "fit_push", "flok_no_pulse", "flok", "flok_inclusion")
BASELINES = ("fcfs", "fit", "fit_open", "fit_push")
"""Policies without Flok: the headline compares ``flok`` with the best of these."""
"""The policies compared when none are named."""


def policies(names: list[str] | None) -> list[Policy]:
    """Policies by name, in the given order (default: ``DEFAULT``); an unknown name is an input error."""
    if not names:
        return [POLICIES[n] for n in DEFAULT]
    out = []
    for name in names:
        if name not in POLICIES:
            raise InputError(
                f"unknown policy '{name}'; policies are {', '.join(POLICIES)}", source="--policy"
            )
        if POLICIES[name] not in out:
            out.append(POLICIES[name])
    return out
