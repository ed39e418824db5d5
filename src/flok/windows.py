"""Time windows: one rule (a window may not end before it starts), checked one way everywhere.

Allocation's opportunities, the community's opportunities and availability, the service's
schemas and the store all validate windows with these two functions, so the words a person
reads and the row they are pointed at are the same whichever door the data came in by.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

END_BEFORE_START = "end is before start"


def first_backwards(start: np.ndarray | float | None, end: np.ndarray | float | None) -> int | None:
    """The index of the first window whose end is before its start (NaN or None = open end)."""
    if start is None or end is None:
        return None
    s = np.atleast_1d(np.asarray(start, dtype=np.float64))
    e = np.atleast_1d(np.asarray(end, dtype=np.float64))
    bad = np.flatnonzero(e < s)  # NaN compares False: an open end is never backwards
    return int(bad[0]) if bad.size else None


def is_backwards(start: float | datetime | None, end: float | datetime | None) -> bool:
    """One window (POSIX seconds or aware datetimes): both ends known and the end first."""
    if start is None or end is None:
        return False
    s = start.timestamp() if isinstance(start, datetime) else start
    e = end.timestamp() if isinstance(end, datetime) else end
    return first_backwards(s, e) is not None
