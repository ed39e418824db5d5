"""Hypothesis strategies that build random, valid allocation problems."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from flok.model import Options, Problem, Quota


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


@st.composite
def constrained_problems(
    draw: st.DrawFn, *, max_participants: int = 4, max_opportunities: int = 3
) -> Problem:
    """Tiny problems with any mix of side constraints, for brute-force comparison."""
    base = draw(
        problems(
            max_participants=max_participants,
            max_opportunities=max_opportunities,
            max_capacity=3,
            mode=draw(st.sampled_from(["rank", "rank", "score"])),
            options=False,
        )
    )
    n, m = base.n_participants, base.n_opportunities
    kwargs: dict = {}
    if draw(st.booleans()):
        kwargs["max_seats"] = draw(st.lists(st.integers(1, 2), min_size=n, max_size=n))
        starts = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
        kwargs["start"] = np.array(starts, dtype=float) * 3600
        kwargs["end"] = kwargs["start"] + 3600 * np.array(
            draw(st.lists(st.integers(1, 2), min_size=m, max_size=m))
        )
    if draw(st.booleans()):
        kwargs["group"] = draw(st.lists(st.sampled_from(["", "", "g1", "g2"]), min_size=n, max_size=n))
    if draw(st.booleans()):
        kwargs["min_size"] = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    if draw(st.booleans()):
        kwargs["penalty"] = draw(
            st.lists(st.integers(0, 3), min_size=base.n_preferences, max_size=base.n_preferences)
        )
    cats = draw(st.lists(st.sampled_from(["", "a", "b"]), min_size=m, max_size=m))
    kwargs["category"] = cats
    attrs = {"track": draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n))}
    options: dict = {
        "objective": draw(st.sampled_from(["sum", "sum", "lexicographic", "maximin"])),
        "group_mode": draw(st.sampled_from(["hard", "soft"])),
        "allow_unassigned": draw(st.booleans()) or True,
        "fill_unlisted": base.rank is not None and draw(st.booleans()),
    }
    if base.score is not None and options["objective"] != "sum":
        options["objective"] = "sum"
    if draw(st.booleans()):
        options["quotas"] = (
            Quota(
                attribute="track",
                value="x",
                max=draw(st.integers(0, 2)),
                min=draw(st.none() | st.integers(0, 1)),
            ),
        )
    if draw(st.booleans()):
        options["category_limit"] = (("*", 1),)
    pairs = [
        (str(base.participant_ids[p]), str(base.opportunity_ids[o]))
        for p, o in zip(base.pref_participant.tolist(), base.pref_opportunity.tolist(), strict=True)
    ]
    use_forbidden: bool = draw(st.booleans())
    use_forced: bool = draw(st.booleans())
    if pairs and use_forbidden:
        options["forbidden"] = (draw(st.sampled_from(pairs)),)
    if pairs and use_forced:
        forced = draw(st.sampled_from(pairs))
        if forced not in options.get("forbidden", ()):
            options["forced"] = (forced,)
    return Problem.from_arrays(
        opportunity_ids=base.opportunity_ids,
        capacity=base.capacity,
        pref_participant=base.pref_participant,
        pref_opportunity=base.pref_opportunity,
        rank=base.rank,
        score=base.score,
        participant_ids=base.participant_ids,
        options=Options(**options),
        participant_attributes=attrs,
        **kwargs,
    )
