"""Diversity of a circle: distinct values per attribute and entropy normalized to [0, 1]."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def normalized_entropy(values: Sequence[str], universe: int) -> float:
    """Shannon entropy divided by its maximum for this many people and ``universe`` possible values."""
    present = [v for v in values if v]
    ceiling = min(len(present), universe)
    if ceiling <= 1:
        return 0.0
    n = len(present)
    h = -sum(c / n * math.log(c / n) for c in Counter(present).values())
    return max(0.0, h / math.log(ceiling))  # never "-0.0" in a report


def summary(
    values_by_attribute: dict[str, list[str]], universe: dict[str, int]
) -> dict[str, dict[str, float]]:
    """Per attribute: ``distinct`` values and ``entropy`` (normalized)."""
    return {
        name: {
            "distinct": len({v for v in vals if v}),
            "entropy": round(normalized_entropy(vals, universe[name]), 4),
        }
        for name, vals in values_by_attribute.items()
    }


def score(summ: dict[str, dict[str, float]]) -> float | None:
    """One number per circle: the mean normalized entropy over attributes (None without attributes)."""
    if not summ:
        return None
    return round(sum(s["entropy"] for s in summ.values()) / len(summ), 4)
