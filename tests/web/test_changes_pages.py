"""The dashboard's pages after the allocation (in-process, SQLite): changes recorded from forms,
a re-solve draft with its diff, commit, versions, rollback with confirmation, honest header."""

from __future__ import annotations

import re
import time

from tests.web.conftest import Web

LIMIT = 180.0  # generous: the machine may be busy


def _allocated(web: Web) -> str:
    token = web.sign_in()
    assert web.client.post("/ui/campaigns/1/run", data={"csrf_token": token}).status_code == 200
    deadline = time.monotonic() + LIMIT
    while "Results" not in web.client.get("/ui/campaigns/1").text:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.1)
    return token


def test_change_resolve_diff_commit_rollback_and_honest_header(web: Web) -> None:
    token = _allocated(web)
    home = web.client.get("/ui/campaigns/1").text
    assert "optimal · " in home and 'id="changes-link"' in home
    no_csrf = web.client.post(
        "/ui/campaigns/1/changes/capacity", data={"opportunity_id": "T3", "cancel": "yes"}
    )
    assert no_csrf.status_code == 403
    bad = web.client.post(
        "/ui/campaigns/1/changes/add",
        data={"csrf_token": token, "rows": "participant_id,opportunity_id,rank\nlate1,T1,x\n"},
    )
    assert (
        bad.url.path == "/ui/campaigns/1/changes"
        and 'id="err-add"' in bad.text
        and "row 2" in bad.text.lower()
    )
    cancelled = web.client.post(
        "/ui/campaigns/1/changes/capacity",
        data={"csrf_token": token, "opportunity_id": "T3", "cancel": "yes", "reason": "tutor ill"},
    )
    assert "T3: cancelled; 2 seats over until you re-solve." in cancelled.text
    added = web.client.post(
        "/ui/campaigns/1/changes/add",
        data={"csrf_token": token, "rows": "participant_id,opportunity_id,rank\nlate1,T1,1\nlate1,T2,2\n"},
    )
    assert "1 late participant added." in added.text and "tutor ill" in added.text
    assert "2 changes since then, not re-solved yet" in web.client.get("/ui/campaigns/1").text
    queued = web.client.post("/ui/campaigns/1/resolve", data={"csrf_token": token, "stability": "strict"})
    path = queued.url.path
    assert re.fullmatch(r"/ui/campaigns/1/runs/\d+/diff", path)
    deadline = time.monotonic() + LIMIT
    while 'id="commit"' not in (draft := web.client.get(path).text):
        assert time.monotonic() < deadline, "the re-solve did not finish"
        time.sleep(0.1)
    assert "2 unseated" in draft or "2 moved" in draft or "moved" in draft
    before = web.client.get("/ui/campaigns/1/assignments.csv").text
    assert ",T3," in before  # the draft is not the allocation yet
    by_change = web.client.get(path, params={"sort": "change", "desc": "1"}).text
    assert 'aria-sort="descending"' in by_change
    committed = web.client.post(path.replace("/diff", "/commit"), data={"csrf_token": token})
    assert committed.url.path == "/ui/campaigns/1/versions" and "Committed as version 4." in committed.text
    assert ",T3," not in web.client.get("/ui/campaigns/1/assignments.csv").text
    header = web.client.get("/ui/campaigns/1").text
    assert "optimal under stability=strict from version 4" in header and "optimal · auto" not in header
    # A move by hand: the header stops saying optimal.
    student = re.search(r"^(student\d),T1,", web.client.get("/ui/campaigns/1/assignments.csv").text, re.M)
    assert student
    web.client.post(
        "/ui/campaigns/1/move", data={"csrf_token": token, "participant_id": student[1], "opportunity_id": ""}
    )
    assert (
        "edited by hand: 1 move since the last optimal run (version 4)"
        in web.client.get("/ui/campaigns/1").text
    )
    confirm = web.client.get("/ui/campaigns/1/rollback/1")
    assert "Roll back to version 1?" in confirm.text and 'id="rollback-confirm"' in confirm.text
    assert ",T3," not in web.client.get("/ui/campaigns/1/assignments.csv").text  # asking changes nothing
    done = web.client.post(
        "/ui/campaigns/1/rollback", data={"csrf_token": token, "version": "1", "confirm": "yes"}
    )
    assert "Rolled back to version 1: now version 6." in done.text
    assert web.client.get("/ui/campaigns/1/assignments.csv").text.count(",T3,") == 2
    diff = web.client.get("/ui/campaigns/1/versions/1/diff/6").text
    assert "0 moved" in diff and "0 unseated" in diff


NEW_FORMS = [
    ("/ui/campaigns/1/changes/capacity", {"opportunity_id": "T1", "capacity": "3"}),
    ("/ui/campaigns/1/changes/add", {"rows": "participant_id,opportunity_id,rank\nz,T1,1\n"}),
    ("/ui/campaigns/1/changes/withdraw", {"ids": "student1"}),
    ("/ui/campaigns/1/changes/move", {"participant_id": "student1", "opportunity_id": ""}),
    ("/ui/campaigns/1/resolve", {"stability": "strict"}),
    ("/ui/campaigns/1/runs/1/commit", {}),
    ("/ui/campaigns/1/runs/1/discard", {}),
    ("/ui/campaigns/1/rollback", {"version": "1", "confirm": "yes"}),
    ("/ui/campaigns/1/unfinalize", {"confirm": "yes"}),
]


def test_every_new_form_needs_its_csrf_token_and_its_own_organization(web: Web) -> None:
    from flok.store import keys

    token = _allocated(web)
    before = web.client.get("/ui/campaigns/1/assignments.csv").text
    for path, data in NEW_FORMS:
        assert web.client.post(path, data=data).status_code == 403, path  # no token
        assert web.client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    assert web.client.get("/ui/campaigns/1/assignments.csv").text == before
    assert "None yet." in web.client.get("/ui/campaigns/1/changes").text
    with web.db.write() as conn:
        other = keys.create_key(conn, keys.ensure_org(conn, "other"))
    token = web.sign_in(other)
    for path in (
        "/ui/campaigns/1/changes",
        "/ui/campaigns/1/versions",
        "/ui/campaigns/1/versions/1/diff/1",
        "/ui/campaigns/1/rollback/1",
        "/ui/campaigns/1/runs/1/diff",
    ):
        assert web.client.get(path).status_code == 404, path
    for path, data in NEW_FORMS:
        assert web.client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    web.sign_in()
    assert web.client.get("/ui/campaigns/1/assignments.csv").text == before
    assert "None yet." in web.client.get("/ui/campaigns/1/changes").text
