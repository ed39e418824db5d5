"""The community page: the five design metrics, the periodic-rebalance form (CSRF, post/redirect/get,
errors in the page's message box) and capacity-0 opportunities shown as Closed, never as pulse 0."""

from __future__ import annotations

import re

from .conftest import Web


def _dd(html: str, ident: str) -> str:
    found = re.search(rf'<dd id="{ident}">(.*?)</dd>', html, re.S)
    assert found, f"no {ident} on the page"
    return re.sub(r"\s+", " ", found.group(1)).strip()


def test_the_five_metrics_of_the_demo(web: Web) -> None:
    """The demo (flok.app.demo): 15 participants (cleo, guest0, guest4, guest8 first-timers);
    chess 4 of 5 seats (ana, ben, cleo, guest1), music 10 of 10 (guest0–guest9) after 12
    attempts, 2 refused; seats 5+10+15+20+25 = 75. By hand: fill 14/75 = 18.7 %; matched
    13/15 = 86.7 % (all of them just now, so within 24 h too); oversubscription 2/16 = 12.5 %;
    first-timers 4/4 matched, gap 100 − 86.7 = +13.3 points."""
    web.sign_in()
    html = web.client.get("/ui/community").text
    assert _dd(html, "m-fill") == "18.7%"
    assert _dd(html, "m-matched") == "86.7%"
    assert _dd(html, "m-24h") == "86.7%"
    assert _dd(html, "m-over").startswith("12.5% (2 of 16 RSVP attempts")
    assert _dd(html, "m-inclusion").startswith("+13.3 points: first-timers matched 100.0% (4 first-timers)")
    assert _dd(html, "m-ttf").startswith("median 0.0 h")


def test_schedule_form_needs_csrf_then_saves_with_a_notice_once(web: Web) -> None:
    token = web.sign_in()
    refused = web.client.post("/ui/community/schedule", data={"enabled": "on", "interval_minutes": "15"})
    assert refused.status_code == 403
    auth = {"Authorization": f"Bearer {web.key}"}
    assert web.client.get("/rebalance/schedule", headers=auth).json()["enabled"] is False
    saved = web.client.post(
        "/ui/community/schedule",
        data={"csrf_token": token, "enabled": "on", "interval_minutes": "15"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/ui/community#schedule"
    page = web.client.get("/ui/community").text
    assert "Periodic rebalance on: every 15 minutes." in page
    assert "On: every 15 minutes" in page and "next due" in page
    assert "Periodic rebalance on" not in web.client.get("/ui/community").text  # shown once
    got = web.client.get("/rebalance/schedule", headers=auth).json()
    assert got["enabled"] is True and got["interval_minutes"] == 15
    off = web.client.post("/ui/community/schedule", data={"csrf_token": token, "interval_minutes": "15"})
    assert "Periodic rebalance off." in off.text and 'id="schedule-status">Off' in off.text
    assert web.client.get("/rebalance/schedule", headers=auth).json()["enabled"] is False


def test_a_bad_interval_is_shown_in_the_form_and_nothing_changes(web: Web) -> None:
    token = web.sign_in()
    answer = web.client.post(
        "/ui/community/schedule", data={"csrf_token": token, "enabled": "on", "interval_minutes": "0"}
    )
    assert answer.status_code == 200 and answer.url.path == "/ui/community"
    box = re.search(r'<div class="error" role="alert" id="err-schedule">(.*?)</div>', answer.text, re.S)
    assert box and "interval_minutes" in box.group(1) and "between 1 and 43200" in box.group(1)
    assert (
        'id="schedule-interval" name="interval_minutes" type="number" min="1" max="43200" step="1" value="0"'
        in (answer.text)
    )
    auth = {"Authorization": f"Bearer {web.key}"}
    assert web.client.get("/rebalance/schedule", headers=auth).json()["enabled"] is False


def test_capacity_zero_is_closed_not_pulse_zero(web: Web) -> None:
    web.sign_in()
    auth = {"Authorization": f"Bearer {web.key}"}
    made = web.client.post(
        "/opportunities", json={"opportunity_id": "shut", "capacity": 0, "title": "Shut"}, headers=auth
    )
    assert made.status_code == 201 and made.json()["pulse"] is None and made.json()["labels"] == ["Closed"]
    html = web.client.get("/ui/community").text
    row = re.search(r"<tr><td>Shut .*?</tr>", html, re.S)
    assert row, "no row for the closed opportunity"
    assert 'badge-closed">Closed</span>' in row.group(0)
    assert '<td class="num">Closed</td>' in row.group(0)
    assert '<td class="num">0</td>' not in row.group(0)
    assert "Shut" not in html.split('id="trend-h"')[1].split("</section>")[0]  # not trending
