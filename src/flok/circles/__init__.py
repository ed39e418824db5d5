"""Circle formation: form and fill discussion circles from location and time wishes.

One public entry, :func:`form`; options in :class:`CircleOptions` and :class:`Weights`; the result
is a :class:`CircleResult` with assignments, circles, unmatched reasons and a report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.lazy import lazy_exports

if TYPE_CHECKING:
    from flok.circles.options import CircleOptions, Weights
    from flok.circles.pipeline import form
    from flok.circles.result import CircleResult, FormedCircle
    from flok.circles.timeslots import TimeParseError, parse_time

__all__ = ["CircleOptions", "CircleResult", "FormedCircle", "TimeParseError", "Weights", "form", "parse_time"]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "CircleOptions": "flok.circles.options",
        "Weights": "flok.circles.options",
        "form": "flok.circles.pipeline",
        "CircleResult": "flok.circles.result",
        "FormedCircle": "flok.circles.result",
        "TimeParseError": "flok.circles.timeslots",
        "parse_time": "flok.circles.timeslots",
    },
)
