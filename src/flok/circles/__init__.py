"""Circle formation: form and fill discussion circles from location and time wishes.

One public entry, :func:`form`; options in :class:`CircleOptions` and :class:`Weights`; the result
is a :class:`CircleResult` with assignments, circles, unmatched reasons and a report.
"""

from __future__ import annotations

from flok.circles.options import CircleOptions, Weights
from flok.circles.pipeline import form
from flok.circles.result import CircleResult, FormedCircle
from flok.circles.timeslots import TimeParseError, parse_time

__all__ = ["CircleOptions", "CircleResult", "FormedCircle", "TimeParseError", "Weights", "form", "parse_time"]
