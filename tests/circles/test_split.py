"""Splitting a slot group: whenever the model's aggregate conditions hold, every circle is valid."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flok.circles.roles import ASK, CO_LEADER, NEEDS_CO_LEADERS, PROPOSED, assign_roles
from flok.circles.roster import ALWAYS, NEVER, SOMETIMES, Participant
from flok.circles.split import split_group


def people(
    hosts: list[int], industries: list[str] | None = None, lead: list[bool] | None = None
) -> list[Participant]:
    return [
        Participant(
            i,
            f"p{i}",
            i + 2,
            "NEW",
            "",
            "R",
            ("a",),
            (1,),
            h,
            (lead[i] if lead else None),
            False,
            ((industries[i],) if industries else ()),
        )
        for i, h in enumerate(hosts)
    ]


@st.composite
def groups(draw):
    lo = draw(st.integers(2, 6))
    hi = draw(st.integers(lo, 12))
    n = draw(st.integers(1, 6))
    m = draw(st.integers(lo * n, hi * n))
    hosts = draw(st.lists(st.sampled_from([ALWAYS, SOMETIMES, NEVER]), min_size=m, max_size=m))
    always = hosts.count(ALWAYS)
    sometimes = hosts.count(SOMETIMES)
    return lo, hi, n, hosts, 2 * always + sometimes >= 2 * n


@given(groups())
def test_split_gives_every_circle_a_size_and_a_host_set(case) -> None:
    lo, hi, n, hosts, feasible = case
    if not feasible:
        return
    circles = split_group(people(hosts), n, lo, hi)
    assert len(circles) == n
    assert sorted(p.index for c in circles for p in c) == list(range(len(hosts)))
    for c in circles:
        assert lo <= len(c) <= hi
        a = sum(p.host == ALWAYS for p in c)
        s = sum(p.host == SOMETIMES for p in c)
        assert a >= 1 or s >= 2


def test_split_spreads_rare_values_across_circles() -> None:
    industries = ["Tech"] * 8 + ["Energy", "Media"]
    circles = split_group(people([ALWAYS] * 2 + [NEVER] * 8, industries), 2, 5, 5)
    for c in circles:
        assert len({p.attributes[0] for p in c}) >= 2


def test_circle_with_fewer_than_two_co_leaders_is_flagged_and_the_others_are_to_be_asked() -> None:
    group = people([ALWAYS, NEVER, NEVER, NEVER, NEVER], lead=[True, False, False, False, False])
    roles, flags = assign_roles(group, "X")
    assert flags == [NEEDS_CO_LEADERS]
    assert roles[group[0].pid] == PROPOSED
    assert {roles[p.pid] for p in group[1:]} == {ASK}


def test_continuing_co_leader_stays_unless_declined() -> None:
    group = [
        Participant(0, "p0", 2, "CONTINUING", "X", "R", ("a",), (1,), ALWAYS, None, True, ()),
        Participant(1, "p1", 3, "CONTINUING", "X", "R", ("a",), (1,), NEVER, False, True, ()),
        Participant(2, "p2", 4, "NEW", "", "R", ("a",), (1,), NEVER, True, False, ()),
        Participant(3, "p3", 5, "NEW", "", "R", ("a",), (1,), NEVER, None, False, ()),
    ]
    roles, flags = assign_roles(group, "X")
    assert roles == {"p0": CO_LEADER, "p1": "member", "p2": PROPOSED, "p3": "member"}
    assert flags == []
