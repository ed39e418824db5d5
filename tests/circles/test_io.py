import pytest

from flok.circles import CircleOptions, form
from flok.circles.roster import participants_from_table
from flok.errors import InputError

from .conftest import person, table


def test_status_spellings_are_normalized() -> None:
    rows = [
        person("a", status="CURRENT-CONTINUING"),
        person("b", status="current continuing"),
        person("c", status="Moving Out"),
        person("d", status="wait-list"),
        person("e", status=""),
    ]
    people, _, _ = participants_from_table(table(rows), CircleOptions())
    assert [p.status for p in people] == ["CONTINUING", "CONTINUING", "MOVING_OUT", "WAITLIST", "NEW"]


def test_unknown_status_names_row_and_field() -> None:
    rows = [person("a"), person("b", status="ALUMNUS")]
    with pytest.raises(InputError) as err:
        participants_from_table(table(rows), CircleOptions())
    assert (err.value.row, err.value.field) == (2, "status")
    assert "ALUMNUS" in err.value.message


def test_unreadable_time_is_an_error_with_row_and_value() -> None:
    rows = [person("a"), person("b"), person("c", times="Monday Evening|after the kids sleep")]
    with pytest.raises(InputError) as err:
        participants_from_table(table(rows), CircleOptions())
    assert err.value.row == 3 and err.value.field == "time_2"
    assert "after the kids sleep" in err.value.message


def test_lenient_mode_reports_every_unreadable_time_and_keeps_the_rest() -> None:
    rows = [person("a", times="soonish|Monday Evening"), person("b", times="Tuesday Evening|nope")]
    people, issues, _ = participants_from_table(table(rows), CircleOptions(lenient_times=True))
    assert [(i.row, i.field, i.value) for i in issues] == [(1, "time_1", "soonish"), (2, "time_2", "nope")]
    assert people[0].times[1] != 0 and people[1].times[0] != 0


def test_column_mapping_reads_a_differently_headed_file() -> None:
    rows = [
        {
            "Encoded ID": f"x{i}",
            "Region": "R",
            "first_choice_location": "Palo Alto",
            "first_time": "Monday Evening",
            "host": "always",
        }
        for i in range(5)
    ]
    mapping = {"participant_id": "Encoded ID", "location_1": "first_choice_location", "time_1": "first_time"}
    result = form(table(rows), None, CircleOptions(columns=mapping))
    assert result.matched == 5
    assert {c.location for c in result.circles} == {"Palo Alto"}


def test_column_mapping_to_a_missing_header_names_it() -> None:
    rows = [person("a")]
    with pytest.raises(InputError) as err:
        form(table(rows), None, CircleOptions(columns={"participant_id": "Encoded ID"}))
    assert err.value.field == "Encoded ID" and err.value.row == 1


def test_duplicate_participant_id_is_rejected() -> None:
    with pytest.raises(InputError) as err:
        participants_from_table(table([person("a"), person("a")]), CircleOptions())
    assert err.value.field == "participant_id" and err.value.row == 2


def test_region_spellings_that_differ_in_case_or_spaces_are_one_region() -> None:
    rows = [person(f"a{i}", host="always") for i in range(2)]
    rows += [person(f"b{i}", host="always", region=" r ") for i in range(3)]
    result = form(table(rows), None, CircleOptions())
    assert result.matched == 5
    assert [r.region for r in result.regions] == ["R"]


def test_zero_preference_weights_still_match_everyone_and_negative_weights_are_rejected() -> None:
    from flok.circles import Weights

    rows = [person(f"a{i}", "A|B", "Monday Evening|Tuesday Evening", host="always") for i in range(6)]
    flat = Weights(location=(0, 0, 0), time=(0, 0, 0))
    assert form(table(rows), None, CircleOptions(weights=flat)).matched == 6
    with pytest.raises(InputError):
        form(table(rows), None, CircleOptions(weights=Weights(new_circle=-5)))
