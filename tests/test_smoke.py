import flok


def test_two_people_one_popular_seat_go_to_first_and_second_choice() -> None:
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1},
            {"participant_id": "y", "opportunity_id": "B", "rank": 2},
        ],
    )
    result = flok.allocate(problem)
    assert sorted(result.assignments()) == [("x", "A"), ("y", "B")]
    assert result.objective == 3
