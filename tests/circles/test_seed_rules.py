"""The seed tool's rules that Flok lacked (issue 16, items 5, 6, 9, 10, 11 and 13's co-leader count)."""

from __future__ import annotations

from typing import Any

import pytest

from flok.circles import CircleOptions, form
from flok.circles.verify import violations
from flok.errors import InputError

from .conftest import person, table

SF = "San Francisco"


def _circle(members: int, answers: list[str], *, where: str = "Palo Alto", region: str = SF) -> list[dict]:
    """A continuing circle IP-SFO-01 of ``members`` people; the first ``len(answers)`` are its
    current co-leaders and gave those "Max New Members" answers."""
    rows = []
    for k in range(members):
        rows.append(
            person(
                f"c{k}",
                where,
                "Tuesday evening",
                region=region,
                status="CURRENT-CONTINUING",
                current_circle_id="IP-SFO-01",
                current_co_leader="yes" if k < len(answers) else "no",
                max_new_members=answers[k] if k < len(answers) else "",
            )
        )
    return rows


def _newcomers(n: int, where: str = "Palo Alto", region: str = SF, **extra: Any) -> list[dict]:
    return [person(f"n{k}", where, "Tuesday evening", region=region, **extra) for k in range(n)]


CIRCLES = [
    {
        "circle_id": "IP-SFO-01",
        "region": SF,
        "location": "Palo Alto",
        "meeting_time": "Tuesday evening",
        "max_additions": "",
    }
]


def _form(rows: list[dict], circles: list[dict] | None = None, **opts: Any):
    result = form(table(rows), table(circles or CIRCLES, "circles.csv"), CircleOptions(**opts))
    assert violations(result) == []
    return result


def _joined(result) -> int:
    return sum(1 for p in result.placement().items() if p[0].startswith("n") and p[1] == "IP-SFO-01")


def test_preserve_lets_newcomers_in_when_the_co_leaders_allow() -> None:
    """Item 5: preserve mode never let anyone into an existing circle."""
    result = _form(_circle(4, ["2"]) + _newcomers(2), mode="preserve")
    assert _joined(result) == 2
    assert result.existing["IP-SFO-01"].limit_from == "co-leaders"


def test_preserve_keeps_a_circle_closed_when_its_co_leaders_said_nothing() -> None:
    result = _form(_circle(4, []) + _newcomers(2), mode="preserve")
    assert _joined(result) == 0
    assert {u.code for u in result.unmatched} == {"circle_full"}


@pytest.mark.parametrize(
    ("answers", "joined"),
    [
        (["3", "2"], 2),  # the smallest answer
        (["None", "3"], 0),  # any co-leader saying None closes it
        (["0"], 0),
        (["", "1"], 1),  # a blank answer is no answer
        (["Up to 2", "no limit"], 2),
        (["no limit"], 3),  # up to max_size (7) members: 4 + 3
    ],
)
def test_co_leaders_max_new_members_answers_decide_the_limit(answers: list[str], joined: int) -> None:
    """Item 6: only a hand-filled max_additions in circles.csv was read."""
    result = _form(_circle(4, answers) + _newcomers(4), mode="optimize", max_size=7)
    assert _joined(result) == joined


def test_answers_of_members_who_are_not_co_leaders_are_ignored_and_said() -> None:
    rows = _circle(4, ["1"])
    rows[3]["max_new_members"] = "3"  # c3 is not a co-leader
    result = _form(rows + _newcomers(3), mode="preserve")
    assert _joined(result) == 1
    assert any("answers ignored" in w for w in result.warnings)


def test_the_circles_file_limit_stands_and_a_disagreement_is_said() -> None:
    circles = [dict(CIRCLES[0], max_additions="1")]
    result = _form(_circle(4, ["3"]) + _newcomers(3), circles, mode="preserve")
    assert _joined(result) == 1
    assert any("circles file says 1" in w for w in result.warnings)


def test_an_unreadable_max_new_members_answer_names_its_row_and_field() -> None:
    rows = _circle(4, ["2", "lots"]) + _newcomers(1)
    with pytest.raises(InputError) as err:
        _form(rows)
    assert (err.value.row, err.value.field) == (2, "max_new_members")  # records count from 1
    assert "lots" in err.value.message


def test_new_circle_ids_use_the_region_code_of_existing_circles_or_the_mapping() -> None:
    """Item 9: new ids were IP-SAN-FRANCISCO-NEW-01 next to an existing IP-SFO-01."""
    hosts = {"host": "always"}
    rows = _circle(3, []) + _newcomers(5, "San Mateo", **hosts)
    result = _form(rows, mode="optimize")
    assert {c.circle_id for c in result.circles if c.new} == {"IP-SFO-NEW-01"}
    # No existing circle to learn from: the mapping gives the code.
    plain = form(table(_newcomers(5, "San Mateo", **hosts)), None, region_codes={"san francisco": "sfo"})
    assert [c.circle_id for c in plain.circles] == ["IP-SFO-NEW-01"]
    # A virtual location is named by its time zone.
    virtual = form(table(_newcomers(5, "Virtual – Pacific Time", **hosts)), None)
    assert [c.circle_id for c in virtual.circles] == ["VO-PST-NEW-01"]
    mapped = form(
        table(_newcomers(5, "Virtual – Pacific Time", **hosts)),
        None,
        region_codes={"Virtual - Pacific Time": "AM-PST"},
    )
    assert [c.circle_id for c in mapped.circles] == ["VO-AM-PST-NEW-01"]
    with pytest.raises(InputError):
        form(table(_newcomers(5)), None, region_codes={SF: "S F O"})


def _lost() -> dict:
    where = {"region": SF, "status": "CONTINUING", "current_circle_id": "IP-SFO-09"}
    return person("lost", "Palo Alto", "Tuesday evening", **where)


@pytest.mark.parametrize("mode", ["preserve", "optimize"])
def test_a_continuing_member_of_an_unknown_circle_is_placed_as_new_with_a_note(mode: str) -> None:
    """Item 10: one unknown circle id stopped the whole run."""
    rows = [*_newcomers(4, host="always"), _lost()]
    result = _form(rows, mode=mode)
    assert result.placement()["lost"].startswith("IP-SFO-NEW")
    assert any("not in the circles file" in w and "1 continuing" in w for w in result.warnings)
    assert result.notes["lost"] == [
        "current circle 'IP-SFO-09' is not in the circles file; placed as a newcomer"
    ]
    row = next(r for r in result.assignments_table().to_pylist() if r["participant_id"] == "lost")
    assert "IP-SFO-09" in row["note"]


def test_a_continuing_member_of_an_unknown_circle_is_simply_free_in_dissolve_mode() -> None:
    rows = [*_newcomers(4, host="always"), _lost()]
    result = _form(rows, mode="dissolve")
    assert "lost" in result.placement()
    assert not any("not in the circles file" in w for w in result.warnings)


def test_dash_and_full_stop_variants_of_a_place_are_one_place() -> None:
    """Item 11: "San Francisco-Peninsula" and "San Francisco – Peninsula." were two places."""
    spellings = [
        "San Francisco-Peninsula",
        "San Francisco – Peninsula",
        "san francisco — peninsula.",
        "San Francisco - Peninsula",
    ]
    rows = [person(f"p{k}", s, "Monday evening", host="always") for k, s in enumerate(spellings)]
    rows.append(person("p9", "San Francisco -Peninsula", "Monday evening"))
    result = form(table(rows), None, min_size=5)
    assert result.matched == 5
    assert [c.location for c in result.circles] == ["San Francisco-Peninsula"]
    assert not result.warnings


def test_near_identical_spellings_are_reported_not_silently_distinct() -> None:
    rows = [person(f"p{k}", "San Francisco - Peninsula", "Monday evening", host="always") for k in range(5)]
    rows += [person("q", "San Francisco - Pennisula", "Monday evening")]
    rows += [person("r", "San Francisco Peninsula", "Monday evening")]
    result = form(table(rows), None, min_size=5)
    alike = [w for w in result.warnings if "look alike" in w]
    assert len(alike) == 2, result.warnings
    assert any("Pennisula" in w for w in alike) and any("'San Francisco Peninsula'" in w for w in alike)


def test_co_leaders_count_counts_real_co_leaders_only() -> None:
    """Item 13: a circle short of co-leaders had everyone marked proposed, and all were counted."""
    rows = [person(f"p{k}", "A", "Monday evening", host="always" if k == 0 else "never") for k in range(5)]
    rows[1]["co_lead"] = "yes"
    result = form(table(rows), None, min_size=5)
    (circle,) = result.circles
    assert circle.co_leaders == 1
    assert result.circles_table().to_pylist()[0]["co_leaders"] == 1
    roles = {r["participant_id"]: r["role"] for r in result.assignments_table().to_pylist()}
    assert roles["p1"] == "proposed_co_leader"
    assert {roles[f"p{k}"] for k in (0, 2, 3, 4)} == {"ask_to_co_lead"}
    assert "needs_co_leaders" in circle.flags


DIVERSITY = ("vintage", "employment", "industry", "race", "children")


@pytest.mark.parametrize("reverse", [False, True])
def test_diversity_can_change_who_is_chosen(reverse: bool) -> None:
    """Item 7: seven people want one slot with room for one circle of five; five are alike and two
    differ in all five attributes. Diversity only split chosen groups, so the five alike could be
    the circle; with diversity in the model the varied group wins the tie, in any input order."""
    same = dict(zip(DIVERSITY, ("2000s", "Employed", "Tech", "White", "No"), strict=True))
    rows = [person(f"same{k}", host="always", **same) for k in range(5)]
    for k, values in enumerate(
        [("1980s", "Retired", "Finance", "Asian", "Yes"), ("2010s", "Founder", "Health", "Black", "Adult")]
    ):
        rows.append(person(f"diff{k}", host="always", **dict(zip(DIVERSITY, values, strict=True))))
    opts = CircleOptions(min_size=5, max_size=5, attributes=DIVERSITY, diversity_in_model=True)
    result = form(table(rows[::-1] if reverse else rows), None, opts)
    (circle,) = result.circles
    assert {"diff0", "diff1"} <= {p.pid for p in circle.members}
    achieved = result.report()["diversity"]["circles"][circle.circle_id]
    assert all(achieved[a]["distinct"] == 3 for a in DIVERSITY)
    assert violations(result) == []
