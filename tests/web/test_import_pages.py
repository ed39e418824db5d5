"""Dashboard uploads with a preview and mapping step; replace, clear and delete with confirmation."""

from __future__ import annotations

import base64
from typing import Any

from .conftest import SAMPLE, Web

# A learning platform's export from a European spreadsheet: ';', one row per student.
LMS = b"Matric;Name;Choice 1;Choice 2\nana;Ana;MON-09;TUE-10\nben;Ben;TUE-10;MON-09\n"


def _api(web: Web, path: str) -> Any:
    return web.client.get(path, headers={"Authorization": f"Bearer {web.key}"}).json()


def _commit(web: Web, token: str, cid: str, kind: str, data: bytes, **form: str) -> Any:
    body = {"csrf_token": token, "data": base64.b64encode(data).decode(), "filename": f"{kind}.csv", **form}
    return web.client.post(f"/ui/campaigns/{cid}/commit/{kind}", data=body)


def _campaign(web: Web, token: str) -> str:
    created = web.client.post("/ui/campaigns", data={"name": "Imports", "csrf_token": token})
    cid = str(created.url.path.rsplit("/", 1)[1])
    opps = (SAMPLE / "opportunities.csv").read_bytes()
    assert "4 opportunities added" in _commit(web, token, cid, "opportunities", opps).text
    return cid


def test_upload_previews_with_mapping_selects_then_commits(web: Web) -> None:
    token = web.sign_in()
    cid = _campaign(web, token)
    page = web.client.get(f"/ui/campaigns/{cid}").text
    assert 'id="opportunities"' in page and "MON-09" in page  # the table of uploaded opportunities
    shown = web.client.post(
        f"/ui/campaigns/{cid}/preview/preferences",
        data={"csrf_token": token},
        files={"file": ("lms.csv", LMS, "text/csv")},
    )
    # "Matric" is no name Flok recognises: the preview says so and offers the file's headers.
    assert shown.status_code == 200 and "Nothing is stored yet" in shown.text
    assert "no column says who each row is" in shown.text and '<option value="Matric"' in shown.text
    mapped = web.client.post(
        f"/ui/campaigns/{cid}/preview/preferences",
        data={
            "csrf_token": token,
            "data": base64.b64encode(LMS).decode(),
            "filename": "lms.csv",
            "map_participant_id": "Matric",
        },
    )
    assert '<option value="Matric" selected>' in mapped.text and "choices" in mapped.text
    assert 'id="commit"' in mapped.text and "Add 4 preferences" in mapped.text
    assert _api(web, f"/campaigns/{cid}")["preferences"] == 0  # a preview stores nothing
    done = _commit(web, token, cid, "preferences", LMS, mode="add", map_participant_id="Matric")
    assert done.history[0].status_code == 303 and done.url.path == f"/ui/campaigns/{cid}"
    assert "4 preferences added from preferences.csv" in done.text
    assert _api(web, f"/campaigns/{cid}")["preferences"] == 4


def test_a_failed_commit_names_the_users_header_and_stores_nothing(web: Web) -> None:
    token = web.sign_in()
    cid = _campaign(web, token)
    bad = LMS.replace(b"ben;Ben;TUE-10;MON-09", b"ben;Ben;TUE-10;NOPE")
    done = _commit(web, token, cid, "preferences", bad, map_participant_id="Matric")
    assert done.url.path == f"/ui/campaigns/{cid}" and 'role="alert"' in done.text
    assert "column &#39;Choice 2&#39;" in done.text and "NOPE" in done.text
    assert _api(web, f"/campaigns/{cid}")["preferences"] == 0


def test_replace_and_clear_ask_first_and_delete_a_campaign(web: Web) -> None:
    token = web.sign_in()
    cid = _campaign(web, token)
    _commit(web, token, cid, "preferences", LMS, map_participant_id="Matric")
    fixed = b"participant_id,opportunity_id,rank\nana,TUE-10,1\n"
    replaced = _commit(web, token, cid, "preferences", fixed, mode="replace")
    assert "1 preferences replaced by" in replaced.text
    assert _api(web, f"/campaigns/{cid}")["preferences"] == 1
    ask = web.client.get(f"/ui/campaigns/{cid}/clear/preferences")
    assert ask.status_code == 200 and 'id="clear-confirm"' in ask.text
    unconfirmed = web.client.post(f"/ui/campaigns/{cid}/clear/preferences", data={"csrf_token": token})
    assert unconfirmed.url.path == f"/ui/campaigns/{cid}/clear/preferences"
    assert _api(web, f"/campaigns/{cid}")["preferences"] == 1
    cleared = web.client.post(
        f"/ui/campaigns/{cid}/clear/preferences", data={"csrf_token": token, "confirm": "yes"}
    )
    assert "1 preferences removed" in cleared.text and _api(web, f"/campaigns/{cid}")["preferences"] == 0
    assert 'id="delete-confirm"' in web.client.get(f"/ui/campaigns/{cid}/delete").text
    web.client.post(f"/ui/campaigns/{cid}/delete", data={"csrf_token": token})  # no confirm: nothing
    assert _api(web, f"/campaigns/{cid}")["id"] == int(cid)
    gone = web.client.post(f"/ui/campaigns/{cid}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert gone.url.path == "/ui/campaigns" and "Imports” deleted" in gone.text
    assert (
        web.client.get(f"/campaigns/{cid}", headers={"Authorization": f"Bearer {web.key}"}).status_code == 404
    )


def test_shape_and_value_mapping_are_chosen_on_the_preview_page(web: Web) -> None:
    """One column per opportunity holding the user's words, read with a shape and a value map."""
    token = web.sign_in()
    cid = _campaign(web, token)
    survey = b"Who,MON-09,TUE-10\nana,first,second\nben,second,first\n"
    words = {"map_participant_id": "Who", "shape": "columns", "value": "rank"}
    words["values"] = "rank:first=1\nrank:second=2"
    shown = web.client.post(
        f"/ui/campaigns/{cid}/preview/preferences",
        data={"csrf_token": token, "data": base64.b64encode(survey).decode(), "filename": "s.csv", **words},
    )
    assert shown.status_code == 200 and 'id="commit"' in shown.text, shown.text
    assert '<option value="columns" selected>' in shown.text and "rank:first=1" in shown.text
    assert "Add 4 preferences" in shown.text
    done = _commit(web, token, cid, "preferences", survey, mode="add", **words)
    assert "4 preferences added" in done.text
    prefs = _api(web, f"/campaigns/{cid}/preferences?participant_id=ben")
    assert sorted((p["rank"], p["opportunity_id"]) for p in prefs) == [(1, "TUE-10"), (2, "MON-09")]
    # A word the value map lacks stays as written and is named with its row and header.
    bad = _commit(web, token, cid, "preferences", survey.replace(b"ben,second", b"ben,third"), **words)
    assert 'role="alert"' in bad.text and "third" in bad.text
