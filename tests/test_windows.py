"""The one time-window rule (flok.windows) against a plain loop, NaN (open ends) included."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from flok.windows import first_backwards, is_backwards

times = st.one_of(st.just(math.nan), st.floats(-1e9, 1e9, allow_nan=False))


@given(st.lists(st.tuples(times, times), max_size=20))
def test_first_backwards_is_the_first_window_that_ends_before_it_starts(windows) -> None:
    expected = next((i for i, (s, e) in enumerate(windows) if s == s and e == e and e < s), None)
    start = np.array([s for s, _ in windows], dtype=float)
    end = np.array([e for _, e in windows], dtype=float)
    assert first_backwards(start, end) == expected


def test_one_window_in_seconds_or_datetimes() -> None:
    t = datetime(2026, 11, 27, 18, tzinfo=UTC)
    assert is_backwards(t, t - timedelta(minutes=1))
    assert not is_backwards(t, t) and not is_backwards(t, None) and not is_backwards(None, t)
    assert is_backwards(10.0, 9.0) and not is_backwards(9.0, 10.0)
