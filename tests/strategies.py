"""Hypothesis strategies that build random, valid allocation problems."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from flok.model import Options, Problem, Quota
from flok.options import CapacityGroup


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
    if draw(st.booleans()):  # a shared capacity, crossed with every other rule above
        options["capacity_groups"] = _capacity_groups(draw, base)[1]["capacity_groups"]
    return rebuilt(base, options, attrs, kwargs)


def _pairs_of(base: Problem) -> list[tuple[str, str]]:
    return [
        (str(base.participant_ids[p]), str(base.opportunity_ids[o]))
        for p, o in zip(base.pref_participant.tolist(), base.pref_opportunity.tolist(), strict=True)
    ]


def _two_seats(draw: st.DrawFn, n: int) -> list[int]:
    """Seats per participant, at least one person with two (so per-person rules can bind)."""
    seats = draw(st.lists(st.integers(1, 2), min_size=n, max_size=n))
    seats[draw(st.integers(0, n - 1))] = 2
    return seats


def _min_sizes(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    m = base.n_opportunities
    return {"min_size": draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))}, {}


def _forbidden(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    pairs = _pairs_of(base)
    if not pairs:
        return {}, {}
    return {}, {
        "forbidden": tuple(draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=2, unique=True)))
    }


def _forced(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    # Any pair, ranked or not: a forced pair is assigned even if the person did not rank it.
    p = draw(st.integers(0, base.n_participants - 1))
    open_ = [o for o in range(base.n_opportunities) if base.capacity[o] > 0] or [0]
    o = draw(st.sampled_from(open_))
    return {}, {"forced": ((str(base.participant_ids[p]), str(base.opportunity_ids[o])),)}


def _clashes(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    """Dated windows, or weekly timetables of 0-2 meetings per opportunity on 2 days."""
    m = base.n_opportunities
    seats = {"max_seats": _two_seats(draw, base.n_participants)}
    if draw(st.booleans()):
        meeting = st.tuples(st.integers(0, 1), st.integers(0, 2), st.integers(1, 2)).map(
            lambda dsl: (dsl[0] * 1440 + dsl[1] * 60, dsl[0] * 1440 + (dsl[1] + dsl[2]) * 60)
        )
        weekly = draw(st.lists(st.lists(meeting, max_size=2), min_size=m, max_size=m))
        return seats | {"meetings": weekly}, {}
    start = np.array(draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)), dtype=float) * 3600
    end = start + 3600 * np.array(draw(st.lists(st.integers(1, 2), min_size=m, max_size=m)))
    return seats | {"start": start, "end": end}, {}


def _category_limits(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    m = base.n_opportunities
    limit = draw(
        st.sampled_from(
            [(("*", 1),), (("a", 0),), (("*", 1), ("a", 2)), (("a", 1), ("b", 0)), (("*", 2), ("b", 1))]
        )
    )
    return (
        {
            "max_seats": _two_seats(draw, base.n_participants),
            "category": draw(st.lists(st.sampled_from(["", "a", "b"]), min_size=m, max_size=m)),
        },
        {"category_limit": limit},
    )


def _quotas(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    where = draw(st.sampled_from([None, *[str(o) for o in base.opportunity_ids]]))
    bounds: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "min": st.integers(0, 2),
                "max": st.integers(0, 2),
                "max_share": st.sampled_from([0.0, 0.25, 0.5, 0.6, 1.0]),
            },
        ).filter(lambda b: b and not ("min" in b and "max" in b and b["min"] > b["max"]))
    )
    quota = Quota(attribute="track", value="x", opportunity=where, **bounds)
    return {}, {"quotas": (quota,)}


def _groups(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    n = base.n_participants
    labels = draw(st.lists(st.sampled_from(["", "g1", "g2"]), min_size=n, max_size=n))
    if n >= 2:  # at least one real group
        labels[:2] = ["g1", "g1"]
    mode = draw(st.sampled_from(["hard", "soft"]))
    return {"group": labels}, {"group_mode": mode, "group_penalty": float(draw(st.integers(0, 3)))}


def _capacity_groups(draw: st.DrawFn, base: Problem) -> tuple[dict, dict]:
    """One or two shared capacities over any opportunities (they may overlap), maybe several seats."""
    oids = [str(o) for o in base.opportunity_ids]
    groups = tuple(
        CapacityGroup(
            group_id=f"s{k}",
            capacity=draw(st.integers(0, 3)),
            opportunities=tuple(
                draw(st.lists(st.sampled_from(oids), min_size=1, max_size=len(oids), unique=True))
            ),
        )
        for k in range(draw(st.integers(1, 2)))
    )
    kwargs = {"max_seats": _two_seats(draw, base.n_participants)} if draw(st.booleans()) else {}
    return kwargs, {"capacity_groups": groups}


RULE_DATA = {
    "min_sizes": _min_sizes,
    "forbidden": _forbidden,
    "forced": _forced,
    "clashes": _clashes,
    "category_limits": _category_limits,
    "quotas": _quotas,
    "groups": _groups,
    "capacity_groups": _capacity_groups,
}
"""Per registered rule (flok.solvers.rules.RULES): the data and options that switch it on."""


@st.composite
def problems_with_rule(
    draw: st.DrawFn, rule: str, *, objective: str, seed: int | None, max_participants: int = 4
) -> Problem:
    """A tiny problem where ``rule`` is active, with the given objective and lottery seed."""
    mode = "rank" if objective != "sum" else draw(st.sampled_from(["rank", "rank", "score"]))
    base = draw(problems(max_participants=max_participants, max_opportunities=3, mode=mode, options=False))
    kwargs, options = _groups(draw, base) if rule == "groups" else RULE_DATA[rule](draw, base)
    n = base.n_participants
    options |= {
        "objective": objective,
        "seed": seed,
        "allow_unassigned": draw(st.sampled_from([True, True, True, False])),
        "fill_unlisted": mode == "rank" and draw(st.booleans()),
    }
    if mode == "score":
        options["min_score"] = float(draw(st.integers(-1, 2)))
    return rebuilt(
        base, options, {"track": draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n))}, kwargs
    )


def rebuilt(base: Problem, options: dict, attributes: dict, kwargs: dict) -> Problem:
    """``base``'s preferences again, with new options, participant attributes and rule data."""
    return Problem.from_arrays(
        opportunity_ids=base.opportunity_ids,
        capacity=base.capacity,
        pref_participant=base.pref_participant,
        pref_opportunity=base.pref_opportunity,
        rank=base.rank,
        score=base.score,
        participant_ids=base.participant_ids,
        options=Options(**options),
        participant_attributes=attributes,
        **kwargs,
    )
