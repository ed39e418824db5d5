"""Fast dashboard tests (in-process): sign-in, cookie flags, CSRF, org scoping, upload errors."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from flok.app.settings import Settings
from flok.server import create_app
from flok.store import campaigns as campaigns_repo
from flok.store import keys
from flok.store.tables import preferences
from flok.web import charts
from flok.web.session import COOKIE

from .conftest import SAMPLE, Web, csrf_of, seeded


def test_pages_need_a_session(web: Web) -> None:
    for path in ("/ui/campaigns", "/ui/community", "/ui/circles", "/ui/campaigns/1"):
        answer = web.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"


def test_sign_in_sets_a_safe_cookie_without_the_key(web: Web) -> None:
    token = csrf_of(web.client.get("/ui/login").text)
    answer = web.client.post(
        "/ui/login", data={"api_key": web.key, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/campaigns"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    secret = web.key.split("_", 2)[2]  # the secret itself may hold "_"
    assert web.key not in cookie and secret not in cookie
    page = web.client.get("/ui/campaigns")
    assert page.status_code == 200 and "Demo tutorials" in page.text and "demo" in page.text


def test_cookie_is_secure_over_https(web: Web) -> None:
    answer = web.client.get("https://testserver/ui/login")
    assert "Secure" in answer.headers["set-cookie"]


def test_wrong_key_is_refused(web: Web) -> None:
    token = csrf_of(web.client.get("/ui/login").text)
    answer = web.client.post("/ui/login", data={"api_key": "flok_x_y", "csrf_token": token})
    assert answer.url.path == "/ui/login" and answer.history[0].status_code == 303
    assert "unknown or revoked" in answer.text and 'aria-invalid="true"' in answer.text
    assert "unknown or revoked" not in web.client.get("/ui/login").text  # once


def test_sign_in_needs_the_csrf_token(web: Web) -> None:
    web.client.get("/ui/login")
    answer = web.client.post("/ui/login", data={"api_key": web.key}, follow_redirects=False)
    assert answer.status_code == 403


def test_posts_need_the_csrf_token(web: Web) -> None:
    token = web.sign_in()
    refused = web.client.post("/ui/campaigns", data={"name": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    forged = web.client.post(
        "/ui/campaigns", data={"name": "x", "csrf_token": "nope"}, follow_redirects=False
    )
    assert forged.status_code == 403
    other_site = web.client.post(
        "/ui/campaigns",
        data={"name": "x", "csrf_token": token},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other_site.status_code == 403
    by_header = web.client.post(
        "/ui/campaigns", data={"name": "via htmx"}, headers={"x-csrf-token": token}, follow_redirects=False
    )
    assert by_header.status_code == 303
    ok = web.client.post(
        "/ui/campaigns", data={"name": "Seminars", "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/ui/campaigns/")


def test_revoked_key_ends_the_session(web: Web) -> None:
    web.sign_in()
    with web.db.write() as conn:
        conn.execute(keys.api_keys.update().values(revoked=True))
    web.client.app.state.flok._key_cache.clear()  # type: ignore[attr-defined]
    assert web.client.get("/ui/campaigns", follow_redirects=False).status_code == 303


def test_another_organizations_campaign_is_not_found(web: Web) -> None:
    with web.db.write() as conn:
        other = keys.create_key(conn, keys.ensure_org(conn, "other"))
    token = web.sign_in(other)
    for path in ("/ui/campaigns/1", "/ui/campaigns/1/assignments.csv"):
        answer = web.client.get(path)
        assert answer.status_code == 404, path
    moved = web.client.post("/ui/campaigns/1/run", data={"csrf_token": token})
    assert moved.status_code == 404
    listing = web.client.get("/ui/campaigns").text
    assert "Demo tutorials" not in listing
    assert web.client.get("/campaigns/1", headers={"Authorization": f"Bearer {other}"}).status_code == 404


def test_upload_errors_show_row_field_and_line(web: Web) -> None:
    token = web.sign_in()
    created = web.client.post("/ui/campaigns", data={"name": "Bad files", "csrf_token": token})
    cid = created.url.path.rsplit("/", 1)[1]
    bad = b"opportunity_id,capacity\nA,2\nB,-1\n"
    answer = web.client.post(
        f"/ui/campaigns/{cid}/upload/opportunities",
        data={"csrf_token": token},
        files={"file": ("opps.csv", bad, "text/csv")},
    )
    # Post/redirect/get: the error shows on the campaign's page, not at the POST's address.
    assert answer.history[0].status_code == 303 and answer.url.path == f"/ui/campaigns/{cid}"
    assert 'role="alert"' in answer.text
    assert "row 3" in answer.text and "<code>capacity</code>" in answer.text
    assert "B,-1" in answer.text  # the offending line, escaped into the page
    good = (SAMPLE / "opportunities.csv").read_bytes()
    ok = web.client.post(
        f"/ui/campaigns/{cid}/upload/opportunities",
        data={"csrf_token": token},
        files={"file": ("opportunities.csv", good, "text/csv")},
    )
    assert ok.status_code == 200 and "4 opportunities" in ok.text
    unknown = b"participant_id,opportunity_id,rank\nana,MON-09,1\nana,NOPE,2\n"
    answer = web.client.post(
        f"/ui/campaigns/{cid}/upload/registrations",
        data={"csrf_token": token},
        files={"file": ("prefs.csv", unknown, "text/csv")},
    )
    assert answer.url.path == f"/ui/campaigns/{cid}"
    assert "unknown opportunity" in answer.text and "ana,NOPE,2" in answer.text


def test_options_errors_are_shown_and_nothing_is_stored(web: Web) -> None:
    token = web.sign_in()
    answer = web.client.post(
        "/ui/campaigns/1/options",
        data={"csrf_token": token, "strategy": "auto", "objective": "maximin", "constraints": "{bad"},
    )
    assert answer.url.path == "/ui/campaigns/1" and "not valid JSON" in answer.text
    assert ">{bad</textarea>" in answer.text  # what was typed is back in the form
    with web.db.read() as conn:
        assert campaigns_repo.get(conn, 1, 1).options.get("objective") != "maximin"
    ok = web.client.post(
        "/ui/campaigns/1/options",
        data={"csrf_token": token, "strategy": "cp_sat", "objective": "lexicographic", "fill_unlisted": "1"},
    )
    assert ok.status_code == 200 and '<option value="cp_sat" selected>' in ok.text


def test_run_move_finalize_download(web: Web) -> None:
    token = web.sign_in()
    started = web.client.post("/ui/campaigns/1/run", data={"csrf_token": token})
    assert started.status_code == 200
    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while "Results" not in (page := web.client.get("/ui/campaigns/1").text):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.1)
    assert "Seats by rank" in page and "<svg" in page and "student7" in page
    full = web.client.post(
        "/ui/campaigns/1/move",
        data={"csrf_token": token, "participant_id": "student7", "opportunity_id": "T1"},
    )
    assert full.url.path == "/ui/campaigns/1" and 'id="err-move"' in full.text and "is full" in full.text
    unseat = web.client.post(
        "/ui/campaigns/1/move", data={"csrf_token": token, "participant_id": "student1", "opportunity_id": ""}
    )
    assert unseat.status_code == 200
    moved = web.client.post(
        "/ui/campaigns/1/move",
        data={"csrf_token": token, "participant_id": "student7", "opportunity_id": "T2"},
    )
    assert moved.status_code == 200 and "moved by hand" in moved.text
    final = web.client.post("/ui/campaigns/1/status/finalize", data={"csrf_token": token, "confirm": "yes"})
    assert final.status_code == 200 and "Finalized" in final.text
    csv = web.client.get("/ui/campaigns/1/assignments.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "student7,T2,1" in csv.text.replace("\r", "")


def test_community_and_circles_show_demo_data(web: Web) -> None:
    web.sign_in()
    community = web.client.get("/ui/community").text
    assert "High demand" in community and "Limited spots" in community and 'class="spark"' in community
    assert "Not available" in community or "fit " in community
    feed = web.client.get("/ui/community/feed", params={"participant_id": "ben"}).text
    assert 'id="feed"' in feed
    circles = web.client.get("/ui/circles").text
    assert "New York" in circles and "Bay Area" in circles and "Unmatched" in circles
    download = web.client.get("/ui/circles/circles.csv")
    assert download.status_code == 200 and download.text.startswith("circle_id,region")


def test_circle_upload_errors_are_shown(web: Web) -> None:
    token = web.sign_in()
    bad = b"participant_id,location_1,time_1\nP1,Downtown,Someday\n"
    answer = web.client.post(
        "/ui/circles",
        data={"csrf_token": token, "mode": "optimize", "min_size": "5", "max_size": "10"},
        files={"participants": ("people.csv", bad, "text/csv")},
    )
    assert answer.url.path == "/ui/circles" and "row 2" in answer.text and "time_1" in answer.text


def test_charts_escape_labels_and_describe_numbers() -> None:
    svg = str(charts.bar_chart([("<b>", 3.0), ("rank 2", 1.0)], "Seats & ranks"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "Seats &amp; ranks" in svg
    assert "rank 2: 1" in svg
    spark = str(charts.sparkline([50.0, 60.0, 72.0], "Pulse"))
    assert "from 50 to 72" in spark


def test_every_post_form_carries_the_csrf_token(web: Web) -> None:
    token = web.sign_in()
    web.client.post("/ui/campaigns/1/run", data={"csrf_token": token})
    for path in ("/ui/campaigns", "/ui/campaigns/1", "/ui/community", "/ui/circles"):
        html = web.client.get(path).text
        forms = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
        assert forms, path
        for form in forms:
            assert f'name="csrf_token" value="{token}"' in form, (path, form[:200])


def test_cancel_a_running_allocation(tmp_path: Path) -> None:
    url, key = seeded(tmp_path)
    app = create_app(Settings(database_url=url, run_delay_seconds=30))
    with TestClient(app) as client:
        web = Web(client, key, app.state.flok.db)
        token = web.sign_in()
        page = client.post("/ui/campaigns/1/run", data={"csrf_token": token}).text
        assert "Cancel run" in page and 'hx-get="/ui/runs/1?poll=1"' in page
        htmx = {"hx-request": "true"}
        fragment = client.post("/ui/runs/1/cancel", data={"csrf_token": token}, headers=htmx)
        assert fragment.status_code == 200 and 'id="run-1"' in fragment.text
        deadline = time.monotonic() + 120  # generous: the machine may be busy
        while (poll := client.get("/ui/runs/1", params={"poll": 1})).headers.get("hx-redirect") is None:
            assert time.monotonic() < deadline, "the run was not cancelled"
            time.sleep(0.1)
        assert poll.headers["hx-redirect"] == "/ui/campaigns/1"
        assert "cancelled" in client.get("/ui/campaigns/1").text
        with web.db.write() as conn:
            other = keys.create_key(conn, keys.ensure_org(conn, "other"))
        web.sign_in(other)
        assert client.get("/ui/runs/1").status_code == 404
    app.state.flok.db.dispose()


def test_participant_attributes_upload(web: Web) -> None:
    token = web.sign_in()
    people = b"participant_id,cohort\nstudent1,2024\nstudent2,2025\n"
    answer = web.client.post(
        "/ui/campaigns/1/upload/participants",
        data={"csrf_token": token},
        files={"file": ("participants.csv", people, "text/csv")},
    )
    assert answer.status_code == 200 and 'role="alert"' not in answer.text
    assert web.client.post("/ui/campaigns/1/upload/nothing", data={"csrf_token": token}).status_code == 404


def test_sign_out_and_entry_redirects(web: Web) -> None:
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/ui/"
    assert web.client.get("/ui/", follow_redirects=False).headers["location"] == "/ui/login"
    token = web.sign_in()
    assert web.client.get("/ui/", follow_redirects=False).headers["location"] == "/ui/campaigns"
    out = web.client.post("/ui/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and f"{COOKIE}=" in out.headers["set-cookie"]
    assert web.client.get("/ui/campaigns", follow_redirects=False).status_code == 303
    htmx = web.client.get("/ui/runs/1", headers={"hx-request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/ui/login"


def test_the_options_form_offers_every_registered_side_rule(web: Web) -> None:
    """The side rules' keys come from the rule registry, so a new rule reaches the dashboard."""
    from flok.solvers.rules import form_fields

    web.sign_in()
    page = web.client.get("/ui/campaigns/1").text
    for f in form_fields():
        assert f'<code title="{f.label}">{f.option}</code>' in page
    token = web.sign_in()
    rule = form_fields()[0]
    saved = web.client.post(
        "/ui/campaigns/1/options",
        data={
            "csrf_token": token,
            "strategy": "auto",
            "objective": "sum",
            "constraints": f'{{"{rule.option}": {rule.example}}}',
        },
    )
    assert saved.status_code == 200, saved.text[:500]
    unknown = web.client.post(
        "/ui/campaigns/1/options",
        data={
            "csrf_token": token,
            "strategy": "auto",
            "objective": "sum",
            "constraints": '{"no_such_rule": 1}',
        },
    )
    assert unknown.url.path == "/ui/campaigns/1" and 'id="err-options"' in unknown.text
    assert rule.option in unknown.text


def _finalize_counts(html: str) -> list[int]:
    found = re.search(r'<ul class="finalize-counts">(.*?)</ul>', html, re.S)
    assert found, "no finalize counts on the page"
    return [int(n.replace(",", "")) for n in re.findall(r"<strong>([\d,]+)</strong>", found.group(1))]


def test_finalize_asks_first_and_its_counts_are_what_it_does(web: Web) -> None:
    token = web.sign_in()
    web.client.post("/ui/campaigns/1/run", data={"csrf_token": token})
    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while "Results" not in (page := web.client.get("/ui/campaigns/1").text):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.1)
    moved = web.client.post(  # a moved seat counts as the allocation now stands
        "/ui/campaigns/1/move",
        data={"csrf_token": token, "participant_id": "student1", "opportunity_id": ""},
    )
    assert moved.status_code == 200
    page = web.client.get("/ui/campaigns/1").text
    # The finalize box sits above the results and the seat table, with the counts.
    assert page.index('id="finalize"') < page.index('id="results"') < page.index('id="seats-h"')
    counts = _finalize_counts(page)
    # A plain POST (an old form, a stray click) only leads to the confirmation page.
    unconfirmed = web.client.post(
        "/ui/campaigns/1/status/finalize", data={"csrf_token": token}, follow_redirects=False
    )
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == "/ui/campaigns/1/finalize"
    confirm = web.client.get("/ui/campaigns/1/finalize")
    assert confirm.status_code == 200 and "Yes, finalize" in confirm.text
    assert _finalize_counts(confirm.text) == counts
    assert "allocated" in web.client.get("/ui/campaigns/1").text  # nothing changed yet
    done = web.client.post("/ui/campaigns/1/status/finalize", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 200 and "Finalized:" in done.text
    with web.db.read() as conn:
        rows = conn.execute(
            select(preferences.c.participant_id, preferences.c.status).where(preferences.c.campaign_id == 1)
        ).all()
    seats, rejected, without_seat = counts
    assert sum(status == "confirmed" for _, status in rows) == seats
    assert sum(status == "rejected" for _, status in rows) == rejected
    seated = {who for who, status in rows if status == "confirmed"}
    assert len({who for who, _ in rows} - seated) == without_seat
    assert web.client.get("/ui/campaigns/1/finalize", follow_redirects=False).status_code == 303


def test_unknown_and_malformed_addresses_are_dashboard_pages(web: Web) -> None:
    web.sign_in()
    for path in ("/ui/campaigns/abc", "/ui/nope", "/ui/campaigns/1/nope", "/ui/campaigns/99999"):
        answer = web.client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in answer.text and "Back to the dashboard" in answer.text, path
        assert '"code": "' not in answer.text and "VALIDATION_ERROR" not in answer.text, path
    posted_only = web.client.get("/ui/campaigns/1/run")  # e.g. reloading a form's address
    assert posted_only.status_code == 405 and "Not a page" in posted_only.text
    # The API keeps answering JSON.
    api = web.client.get("/campaigns/abc", headers={"Authorization": f"Bearer {web.key}"})
    assert api.headers["content-type"].startswith("application/json")
    assert web.client.get("/nope").headers["content-type"].startswith("application/json")


def test_success_messages_are_shown_once_after_a_redirect(web: Web) -> None:
    token = web.sign_in()
    cid = web.client.post("/ui/campaigns", data={"name": "Flash", "csrf_token": token}).url.path.rsplit(
        "/", 1
    )[1]
    good = (SAMPLE / "opportunities.csv").read_bytes()
    posted = web.client.post(
        f"/ui/campaigns/{cid}/upload/opportunities",
        data={"csrf_token": token},
        files={"file": ("opportunities.csv", good, "text/csv")},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == f"/ui/campaigns/{cid}#uploads"
    shown = web.client.get(posted.headers["location"])
    assert (
        'role="status"' in shown.text and "Uploaded opportunities.csv: 4 opportunities added." in shown.text
    )
    again = web.client.get(f"/ui/campaigns/{cid}")
    assert 'role="status"' not in again.text  # once
    saved = web.client.post(
        f"/ui/campaigns/{cid}/options", data={"csrf_token": token, "strategy": "auto", "objective": "sum"}
    )
    assert saved.url.path == f"/ui/campaigns/{cid}" and "Options saved." in saved.text


def test_a_flash_is_shown_only_in_the_session_that_posted(web: Web) -> None:
    token = web.sign_in()
    posted = web.client.post(
        "/ui/campaigns/1/options",
        data={"csrf_token": token, "strategy": "auto", "objective": "sum", "constraints": "{bad"},
        follow_redirects=False,
    )
    flash_cookie = posted.cookies.get("flok_flash")
    assert flash_cookie  # set on the redirect
    other = TestClient(web.client.app)
    Web(other, web.key, web.db).sign_in()
    other.cookies.set("flok_flash", flash_cookie)
    assert "not valid JSON" not in other.get("/ui/campaigns/1").text
    assert "not valid JSON" in web.client.get("/ui/campaigns/1").text


def test_a_long_typed_value_does_not_overflow_the_flash_cookie(web: Web) -> None:
    token = web.sign_in()
    long_json = '{"forbidden": [' + ", ".join(['["a", "b"]'] * 2000) + "], bad"
    posted = web.client.post(
        "/ui/campaigns/1/options",
        data={"csrf_token": token, "strategy": "auto", "objective": "sum", "constraints": long_json},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert len(posted.headers["set-cookie"]) < 4096
    page = web.client.get("/ui/campaigns/1").text
    assert 'id="err-options"' in page
