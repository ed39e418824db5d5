"""Hypothesis strategies that build random, valid allocation problems."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from flok.model import Options, Problem


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    max_participants: int = 5,
    max_opportunities: int = 3,
    max_capacity: int = 3,
    mode: str = "rank",
    options: bool = True,
) -> Problem:
    n = draw(st.integers(1, max_participants))
    m = draw(st.integers(1, max_opportunities))
    capacity = draw(st.lists(st.integers(0, max_capacity), min_size=m, max_size=m))
    pp: list[int] = []
    po: list[int] = []
    values: list[float] = []
    for p in range(n):
        listed = draw(st.lists(st.integers(0, m - 1), unique=True, max_size=m))
        if mode == "rank":
            ranks = draw(
                st.lists(st.integers(1, 2 * m), unique=True, min_size=len(listed), max_size=len(listed))
            )
            values += sorted(ranks)
        else:
            values += draw(st.lists(st.integers(-3, 10), min_size=len(listed), max_size=len(listed)))
        pp += [p] * len(listed)
        po += listed
    opts = Options()
    if options:
        opts = Options(
            fill_unlisted=mode == "rank" and draw(st.booleans()),
            allow_unassigned=draw(st.booleans()),
            min_score=float(draw(st.integers(-2, 2))) if mode == "score" else 0.0,
        )
    kwargs = (
        {"rank": np.array(values, dtype=np.int64)}
        if mode == "rank"
        else {"score": np.array(values, dtype=float) / 2}
    )
    return Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(m)],
        capacity=capacity,
        pref_participant=np.array(pp, dtype=np.int64),
        pref_opportunity=np.array(po, dtype=np.int64),
        n_participants=n,
        options=opts,
        **kwargs,
    )
