"""Weekly timetables through the service: the ``meetings`` column is checked at upload and honoured."""

from __future__ import annotations

from tests.service.conftest import Api
from tests.service.helpers import CSV, allocate


def test_meetings_uploaded_to_a_campaign_keep_a_person_out_of_clashing_sections(api: Api) -> None:
    """x ranks A, C, B and takes 2 seats: A and C meet on Thursday at 14:00, so x gets A and B."""
    cid = int(api.post("/campaigns", json={"name": "timetable", "options": {}}).json()["id"])
    opps = (
        "opportunity_id,capacity,meetings\n"
        'A,5,"TueThu 1:00 PM - 2:15 PM"\n'
        "B,5,MWF 13:00-14:15\n"
        "C,5,Thu 14:00-15:00\n"
    )
    assert api.post(f"/campaigns/{cid}/opportunities", content=opps.encode(), headers=CSV).status_code == 201
    prefs = "participant_id,opportunity_id,rank\nx,A,1\nx,C,2\nx,B,3\n"
    assert api.post(f"/campaigns/{cid}/preferences", content=prefs.encode(), headers=CSV).status_code == 201
    people = "participant_id,max_seats\nx,2\n"
    assert api.post(f"/campaigns/{cid}/participants", content=people.encode(), headers=CSV).status_code == 201
    assert api.post(f"/campaigns/{cid}/open").status_code == 200
    assert api.post(f"/campaigns/{cid}/close").status_code == 200
    assert allocate(api, cid)["status"] == "done"
    rows = api.get(f"/campaigns/{cid}/allocation").json()["assignments"]
    assert sorted(r["opportunity_id"] for r in rows if r["participant_id"] == "x") == ["A", "B"]


def test_an_unreadable_meeting_is_refused_at_upload_with_its_row(api: Api) -> None:
    cid = int(api.post("/campaigns", json={"name": "timetable", "options": {}}).json()["id"])
    opps = 'opportunity_id,capacity,meetings\nA,5,Mon 9-10\nB,5,"Tue 11:30 - 12:45 PM"\n'
    r = api.post(f"/campaigns/{cid}/opportunities", content=opps.encode(), headers=CSV)
    assert r.status_code == 422
    body = r.json()
    assert (body["row"], body["field"]) == (3, "meetings") and "AM or PM on both" in body["message"]
    assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0  # nothing stored
