"""The service's per-request pulse (plain floats) reads exactly what the vectorised one reads."""

from __future__ import annotations

import math

import hypothesis.strategies as st
import numpy as np
from hypothesis import given

from flok.pulse import PulseConfig
from flok.pulse.demand import market_pulse, market_pulse_one


@given(
    demand=st.floats(-50, 500, allow_nan=False),
    capacity=st.integers(0, 60),
    confirmed=st.integers(0, 80),
    start=st.one_of(st.none(), st.floats(-3e5, 3e5, allow_nan=False)),
    k=st.floats(0.5, 30),
)
def test_one_opportunity_equals_the_vectorised_reading(
    demand: float, capacity: int, confirmed: int, start: float | None, k: float
) -> None:
    config = PulseConfig(k=k)
    at = 1_000_000.0
    when = None if start is None else at + start
    one = market_pulse_one(demand, capacity, confirmed, when, at, config)
    many = float(
        market_pulse(
            np.array([demand]),
            np.array([capacity]),
            np.array([confirmed]),
            np.array([np.nan if when is None else when]),
            at,
            config,
        )[0]
    )
    if capacity == 0:
        assert math.isnan(one) and math.isnan(many)
    else:
        assert math.isclose(one, many, rel_tol=1e-12, abs_tol=1e-9)
