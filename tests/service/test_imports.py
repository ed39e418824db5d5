"""Uploads through the import layer (mapping, presets, dialects, xlsx), preview, and fixing
mistakes (list, replace, clear) on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest

from flok.app.worker import execute
from flok.app.worker.allocate import run_allocation
from tests.service.conftest import Api, in_process
from tests.service.helpers import CSV, OPPS, REGS, campaign, seats
from tests.service.test_run_fencing import new_run, pause_before_storing

# A learning platform's export: one row per student, the choices as numbered columns.
LMS = "Student ID,Name,Email,Choice 1,Choice 2\nx,Xia,x@u,A,B\ny,Yan,y@u,A,C\nz,Zoe,z@u,B,A\n"
# The same from a European spreadsheet: ';'-separated, Windows-1252, other header words.
EURO = "Matrikel;Nom;Wahl 1;Wahl 2\nx;Zoë;A;B\ny;Yan;A;C\nz;Zoe;B;A\n".encode("cp1252")


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    with in_process(db_url) as a:
        yield a


def new_campaign(api: Api, opportunities: str = OPPS) -> int:
    cid = int(api.post("/campaigns", json={"name": "c"}).json()["id"])
    r = api.post(f"/campaigns/{cid}/opportunities", content=opportunities.encode(), headers=CSV)
    assert r.status_code == 201, r.text
    return cid


def allocate(api: Api, cid: int) -> str:
    """Run an allocation here (PostgreSQL's queue needs a worker process; this needs none)."""
    return execute.execute_run(api.db, new_run(api, cid), worker="test")


def close_and_allocate(api: Api, cid: int) -> None:
    assert api.post(f"/campaigns/{cid}/open").status_code == 200
    assert api.post(f"/campaigns/{cid}/close").status_code == 200
    assert allocate(api, cid) == "done"


def xlsx(rows: list[list[str]], sheet: str = "Sheet1") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_lms_wide_export_uploads_with_its_preset_and_allocates(api: Api) -> None:
    cid = new_campaign(api)
    r = api.post(
        f"/campaigns/{cid}/preferences", content=LMS.encode(), headers=CSV, params={"preset": "lms-wide"}
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"added": 6}
    close_and_allocate(api, cid)
    assert seats(api, cid) == {"x": "A", "y": "C", "z": "B"}


def test_semicolon_cp1252_multipart_file_with_a_column_map(api: Api) -> None:
    cid = new_campaign(api)
    files = {"file": ("wahl.csv", EURO, "text/csv")}
    r = api.post(f"/campaigns/{cid}/preferences", files=files, params={"map": ["participant_id=Matrikel"]})
    assert r.status_code == 201, r.text
    assert r.json() == {"added": 6}
    prefs = api.get(f"/campaigns/{cid}/preferences", params={"participant_id": "z"}).json()
    assert [(p["opportunity_id"], p["rank"]) for p in prefs] == [("B", 1), ("A", 2)]


def test_xlsx_body_and_named_sheet(api: Api) -> None:
    cid = int(api.post("/campaigns", json={"name": "c"}).json()["id"])
    body = xlsx([["Course", "Seats", "Title"], ["A", "1", "Algebra"], ["B", "2", "Biology"]], sheet="Kurse")
    kind = {"content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    wrong = api.post(f"/campaigns/{cid}/opportunities", content=body, headers=kind, params={"sheet": "Nope"})
    assert wrong.status_code == 422 and "Nope" in wrong.json()["message"]
    r = api.post(
        f"/campaigns/{cid}/opportunities",
        content=body,
        headers=kind,
        params={"sheet": "Kurse", "map": ["opportunity_id=Course", "capacity=Seats"]},
    )
    assert r.status_code == 201, r.text
    listed = api.get(f"/campaigns/{cid}/opportunities").json()
    assert [(o["opportunity_id"], o["capacity"], o["title"]) for o in listed] == [
        ("A", 1, "Algebra"),
        ("B", 2, "Biology"),
    ]


def test_an_error_names_the_users_header_and_row_and_stores_nothing(api: Api) -> None:
    cid = new_campaign(api)
    bad = LMS.replace("z,Zoe,z@u,B,A", "z,Zoe,z@u,B,Q")
    r = api.post(f"/campaigns/{cid}/preferences", content=bad.encode(), headers=CSV)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "INVALID_INPUT" and body["row"] == 4 and body["field"] == "opportunity_id"
    assert "column 'Choice 2'" in body["message"] and "'Q'" in body["message"]
    assert api.get(f"/campaigns/{cid}").json()["preferences"] == 0
    unmapped = api.post(
        f"/campaigns/{cid}/preferences",
        content=LMS.encode(),
        headers=CSV,
        params={"map": "participant_id=Matric"},
    )
    assert unmapped.status_code == 422 and "'Student ID'" in unmapped.json()["message"]  # columns found


def test_a_preset_must_be_one_flok_ships(api: Api) -> None:
    cid = new_campaign(api)
    for preset in ("/etc/passwd", "../lms-wide.toml", "nope"):
        r = api.post(
            f"/campaigns/{cid}/preferences", content=LMS.encode(), headers=CSV, params={"preset": preset}
        )
        assert r.status_code == 422 and r.json()["field"] == "preset", r.text
    bad_map = api.post(
        f"/campaigns/{cid}/preferences", content=LMS.encode(), headers=CSV, params={"map": "rank"}
    )
    assert bad_map.status_code == 422 and "FIELD=HEADER" in bad_map.json()["message"]


def test_the_row_limit_counts_the_records_of_a_wide_file(db_url: str) -> None:
    with in_process(db_url, max_upload_rows=5) as api:
        cid = new_campaign(api)
        r = api.post(f"/campaigns/{cid}/preferences", content=LMS.encode(), headers=CSV)  # 3 rows, 6 records
        assert r.status_code == 413 and r.json()["code"] == "TOO_MANY_ROWS"
        assert api.get(f"/campaigns/{cid}").json()["preferences"] == 0


def test_preview_says_what_flok_understood_and_stores_nothing(api: Api) -> None:
    cid = new_campaign(api)
    bad = LMS.replace("y,Yan,y@u,A,C", "y,Yan,y@u,A,A")
    r = api.post(f"/campaigns/{cid}/preferences/preview", content=bad.encode(), headers=CSV)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["shape"] == "choices" and p["fields"]["participant_id"] == "'Student ID'"
    assert p["ignored"] == ["Name", "Email"]
    assert p["headers"] == ["Student ID", "Name", "Email", "Choice 1", "Choice 2"]
    assert p["columns"] == ["participant_id", "opportunity_id", "rank"]
    assert p["rows"][0] == ["x", "A", "1"] and p["row_numbers"][:2] == [2, 2]
    assert p["counts"]["rows"] == 3 and p["counts"]["records"] == 6
    assert [(i["row"], i["header"]) for i in p["issues"]] == [(3, "Choice 2")]
    assert "twice" in p["issues"][0]["message"]
    assert api.get(f"/campaigns/{cid}").json()["preferences"] == 0
    opps = api.post(
        f"/campaigns/{cid}/opportunities/preview",
        files={"file": ("o.csv", b"Course;Seats\nA;x\n", "text/csv")},
        params={"map": ["opportunity_id=Course", "capacity=Seats"]},
    ).json()
    assert [(i["row"], i["header"]) for i in opps["issues"]] == [(2, "Seats")]
    assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 3
    scores = api.post(
        f"/campaigns/{cid}/preferences/preview",
        content=b"participant_id,opportunity_id,score\nx,A,3\n",
        headers=CSV,
    ).json()
    assert "takes 'rank' preferences" in scores["issues"][0]["message"]
    other = api.other_org()
    assert (
        other.post(f"/campaigns/{cid}/preferences/preview", content=LMS.encode(), headers=CSV).status_code
        == 404
    )


def test_opportunities_are_listed_by_page_with_the_total(api: Api) -> None:
    cid = new_campaign(api, "opportunity_id,capacity,title,room\nA,1,Algebra,1a\nB,1,,2b\nC,2,Chemistry,3c\n")
    r = api.get(f"/campaigns/{cid}/opportunities", params={"limit": 2, "offset": 1})
    assert r.status_code == 200 and r.headers["x-total-count"] == "3"
    assert r.json() == [
        {"opportunity_id": "B", "capacity": 1, "title": None, "attributes": {"room": "2b"}},
        {"opportunity_id": "C", "capacity": 2, "title": "Chemistry", "attributes": {"room": "3c"}},
    ]
    assert api.other_org().get(f"/campaigns/{cid}/opportunities").status_code == 404


def test_replacing_preferences_after_a_run_keeps_the_allocation_until_the_next_run(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    assert allocate(api, cid) == "done"
    before = seats(api, cid)
    fixed = "participant_id,opportunity_id,rank\nx,B,1\ny,A,1\nz,C,1\n"
    r = api.put(f"/campaigns/{cid}/preferences", content=fixed.encode(), headers=CSV)
    assert r.status_code == 200 and r.json() == {"replaced": 3}, r.text
    body = api.get(f"/campaigns/{cid}").json()
    assert body["status"] == "allocated" and body["preferences"] == 3
    assert seats(api, cid) == before  # the last allocation stays until a new run
    assert allocate(api, cid) == "done"
    assert seats(api, cid) == {"x": "B", "y": "A", "z": "C"}


def test_a_refused_replacement_keeps_the_previous_rows(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    bad = "participant_id,opportunity_id,rank\nx,B,1\ny,Q,1\n"
    r = api.put(f"/campaigns/{cid}/preferences", content=bad.encode(), headers=CSV)
    assert r.status_code == 422 and r.json()["row"] == 3
    assert api.get(f"/campaigns/{cid}").json()["preferences"] == 6
    drops_b = "opportunity_id,capacity\nA,1\nC,2\n"  # preferences still name B
    r = api.put(f"/campaigns/{cid}/opportunities", content=drops_b.encode(), headers=CSV)
    assert r.status_code == 409 and r.json()["code"] == "IN_USE" and "'B'" in r.json()["message"]
    assert [o["opportunity_id"] for o in api.get(f"/campaigns/{cid}/opportunities").json()] == ["A", "B", "C"]
    r = api.put(
        f"/campaigns/{cid}/opportunities", content=b"opportunity_id,capacity\nA,2\nB,1\nC,1\n", headers=CSV
    )
    assert r.status_code == 200 and r.json() == {"replaced": 3}
    assert [o["capacity"] for o in api.get(f"/campaigns/{cid}/opportunities").json()] == [2, 1, 1]


def test_clearing_and_replacing_participants_and_finalized_refusal(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    assert api.delete(f"/campaigns/{cid}/opportunities").json()["code"] == "IN_USE"
    people = b"participant_id,group\nx,g1\ny,g2\n"
    assert api.put(f"/campaigns/{cid}/participants", content=people, headers=CSV).json() == {"replaced": 2}
    assert api.delete(f"/campaigns/{cid}/participants").json() == {"removed": 2}
    assert api.delete(f"/campaigns/{cid}/preferences").json() == {"removed": 6}
    assert api.delete(f"/campaigns/{cid}/opportunities").json() == {"removed": 3}
    assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0
    done = campaign(api, OPPS, REGS)
    assert allocate(api, done) == "done"
    assert api.post(f"/campaigns/{done}/finalize").status_code == 200
    for r in (
        api.put(f"/campaigns/{done}/preferences", content=REGS.encode(), headers=CSV),
        api.delete(f"/campaigns/{done}/preferences"),
    ):
        assert r.status_code == 409 and r.json()["code"] == "WRONG_STATUS", r.text
    assert api.get(f"/campaigns/{done}").json()["preferences"] == 6


def test_a_replacement_during_a_run_keeps_its_stale_result_out(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = campaign(api, OPPS, REGS)
    run_id = new_run(api, cid)

    def meanwhile() -> None:  # the run has solved the old preferences; they are replaced now
        fixed = b"participant_id,opportunity_id,rank\nx,C,1\ny,C,1\nz,C,1\n"
        assert api.put(f"/campaigns/{cid}/preferences", content=fixed, headers=CSV).status_code == 200

    pause_before_storing(monkeypatch, meanwhile)
    assert execute.execute_run(api.db, run_id, worker="w") == "failed"
    assert api.get(f"/runs/{run_id}").json()["error"]["code"] == "CAMPAIGN_CHANGED"
    assert api.get(f"/campaigns/{cid}").json()["assigned"] == 0
    monkeypatch.setitem(execute.HANDLERS, "allocate", run_allocation)
    again = new_run(api, cid)
    assert execute.execute_run(api.db, again, worker="w") == "done"
    assert set(seats(api, cid).values()) == {"C", None}


def test_json_uploads_take_map_preset_and_values_like_files(api: Api) -> None:
    """A JSON body in the user's own shape: the body's map/preset (or the query's) apply to it."""
    cid = new_campaign(api)
    wide = [
        {"Student ID": "x", "Name": "Xia", "Choice 1": "A", "Choice 2": "B"},
        {"Student ID": "y", "Name": "Yan", "Choice 1": "A", "Choice 2": "C"},
        {"Student ID": "z", "Name": "Zoe", "Choice 1": "B", "Choice 2": "A"},
    ]
    preview = api.post(f"/campaigns/{cid}/preferences/preview", json={"rows": wide, "preset": "lms-wide"})
    assert preview.status_code == 200, preview.text
    assert preview.json()["shape"] == "choices" and preview.json()["counts"]["records"] == 6
    assert api.get(f"/campaigns/{cid}").json()["preferences"] == 0
    r = api.post(f"/campaigns/{cid}/preferences", json={"preferences": wide, "preset": "lms-wide"})
    assert r.status_code == 201, r.text
    assert r.json() == {"added": 6}
    long = [{"Who": "w", "Course": "B", "Pos": "1"}]
    q = api.post(
        f"/campaigns/{cid}/preferences",
        json=long,
        params={"map": ["participant_id=Who", "opportunity_id=Course", "rank=Pos"]},
    )
    assert q.status_code == 201, q.text
    body_map = api.post(
        f"/campaigns/{cid}/preferences",
        json={
            "rows": [{"Who": "v", "Course": "C", "Pos": "1"}],
            "map": {"participant_id": "Who", "opportunity_id": "Course", "rank": "Pos"},
        },
    )
    assert body_map.status_code == 201, body_map.text
    for pid, opp in (("w", "B"), ("v", "C"), ("z", "B")):
        prefs = api.get(f"/campaigns/{cid}/preferences", params={"participant_id": pid}).json()
        assert (prefs[0]["opportunity_id"], prefs[0]["rank"]) == (opp, 1)
    # Participants' words mapped per request: "Ja"/"Nein" -> group labels via a value map.
    attrs = [{"Student ID": "x", "Team": "Ja"}, {"Student ID": "y", "Team": "Nein"}]
    p = api.post(
        f"/campaigns/{cid}/participants/preview",
        json={
            "rows": attrs,
            "map": ["participant_id=Student ID"],
            "values": {"team": {"ja": "yes", "nein": "no"}},
        },
    )
    assert p.status_code == 200, p.text
    assert [row[-1] for row in p.json()["rows"]] == ["yes", "no"]


def test_json_body_import_keys_are_checked(api: Api) -> None:
    cid = new_campaign(api)
    rows = [{"Student ID": "x", "Choice 1": "A"}]
    for body, field in (
        ({"rows": rows, "preset": "/etc/passwd"}, "preset"),
        ({"rows": rows, "mapping": {}}, "mapping"),
        ({"rows": rows, "preset": "gsb-circles-survey"}, "preset"),  # a circles preset, not preferences
        ({"rows": rows, "shape": "sideways"}, "shape"),
    ):
        r = api.post(f"/campaigns/{cid}/preferences", json=body)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert api.get(f"/campaigns/{cid}").json()["preferences"] == 0


def test_shape_and_value_mapping_as_query_parameters(api: Api) -> None:
    """One column per opportunity holding a rank, and the user's words for a value, per request."""
    cid = new_campaign(api)
    survey = "Respondent,A,B,C\nx,1,2,\ny,,1,2\n"
    r = api.post(
        f"/campaigns/{cid}/preferences",
        content=survey.encode(),
        headers=CSV,
        params={"shape": "columns", "value": "rank", "map": "participant_id=Respondent"},
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"added": 4}
    words = "Respondent,A,B\nz,first,second\n"
    r = api.post(
        f"/campaigns/{cid}/preferences",
        content=words.encode(),
        headers=CSV,
        params={
            "shape": "columns",
            "map": "participant_id=Respondent",
            "values": ["rank:first=1", "rank:second=2"],
        },
    )
    assert r.status_code == 201, r.text
    prefs = api.get(f"/campaigns/{cid}/preferences", params={"participant_id": "z"}).json()
    assert [(p["opportunity_id"], p["rank"]) for p in prefs] == [("A", 1), ("B", 2)]
    bad = api.post(
        f"/campaigns/{cid}/preferences", content=words.encode(), headers=CSV, params={"values": "rank"}
    )
    assert bad.status_code == 422 and "FIELD:WORD=VALUE" in bad.json()["message"]
