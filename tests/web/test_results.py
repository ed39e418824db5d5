"""Results pages at scale and in score mode, on SQLite and PostgreSQL: seats by rank as the report
counts them, the opportunities most in demand (searchable, numbers formatted), the seat table
searched, sorted, paged and per opportunity, and the reasons of the unassigned with titles."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import pytest

from tests.service.conftest import Api, db_url, in_process, pg_url  # noqa: F401 (fixtures)
from tests.service.helpers import CSV, allocate

from .conftest import Web
from .scale import TITLE, big_campaign

SEATS_ROW = re.compile(r'<div id="seats".*?<tbody>(.*?)</tbody>', re.S)


@pytest.fixture
def app_api(db_url: str) -> Iterator[Api]:  # noqa: F811 (the imported fixture)
    with in_process(db_url, queue="thread") as api:
        yield api


def _signed_in(api: Api) -> Web:
    web = Web(api.client, api.key, api.db)
    web.sign_in()
    return web


def _rank_chart(page: str) -> str:
    found = re.search(r'<svg[^>]*aria-label="Seats by rank".*?</svg>', page, re.S)
    assert found, "no rank chart"
    return found.group(0)


def _seat_participants(page: str) -> list[str]:
    found = SEATS_ROW.search(page)
    assert found, "no seat table"
    return re.findall(r"<tr><td>([^<]+)</td>", found.group(1))


def test_score_mode_seats_by_rank_is_the_reports_rank_histogram(app_api: Api) -> None:
    """Scores with many distinct values: one bar per rank in the participant's own list (as the
    run's report counts them), not one bar per distinct score."""
    opps = "opportunity_id,capacity\n" + "".join(f"O{i},3\n" for i in range(6))
    lines = ["participant_id,opportunity_id,score"]
    for p in range(30):
        for k in range(3):
            lines.append(f"p{p},O{(p + k) % 6},{(97 - 7 * k) + p / 100:.2f}")
    r = app_api.post("/campaigns", json={"name": "scores", "mode": "score", "options": {}})
    cid = int(r.json()["id"])
    assert (
        app_api.post(f"/campaigns/{cid}/opportunities", content=opps.encode(), headers=CSV).status_code == 201
    )
    prefs = "\n".join(lines).encode()
    assert app_api.post(f"/campaigns/{cid}/registrations", content=prefs, headers=CSV).status_code == 201
    app_api.post(f"/campaigns/{cid}/open")
    app_api.post(f"/campaigns/{cid}/close")
    run = allocate(app_api, cid)
    assert run["status"] == "done", run
    histogram = run["report"]["rank_histogram"]
    page = _signed_in(app_api).client.get(f"/ui/campaigns/{cid}").text
    chart = _rank_chart(page)
    bars = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', chart)
    expected = [f"rank {k}" for k in sorted((k for k in histogram if k.isdigit()), key=int)]
    assert bars == [*expected, "unassigned"]  # 3 ranks at most, not 30 × 3 distinct scores
    for key, count in histogram.items():
        label = f"rank {key}" if key.isdigit() else key
        assert f"{label}: {count}" in html.unescape(chart)


def test_results_at_scale_are_paged_and_formatted(app_api: Api) -> None:
    """2,000 people and 100 opportunities: the demand chart shows the 25 most wanted (with the
    others a search away) and writes 2,000 as "2,000"; the seat table and the unassigned come a
    page at a time; the unassigned's reasons name opportunities by title."""
    cid = big_campaign(app_api)
    web = _signed_in(app_api)
    page = web.client.get(f"/ui/campaigns/{cid}").text
    assert len(page) < 300_000, f"the page is {len(page):,} characters"
    fill = re.search(r'<table class="fill".*?</table>', page, re.S)
    assert fill
    assert fill.group(0).count("<tr>") == 26  # header + the 25 most in demand
    assert ">2,000</td>" in fill.group(0)  # everyone listed OPP-000, formatted
    assert "The 25 most in demand of 100" in page
    found = web.client.get(f"/ui/campaigns/{cid}", params={"fq": "group 099"}).text
    fill = re.search(r'<table class="fill".*?</table>', found, re.S)
    assert fill and "OPP-099" in fill.group(0) and fill.group(0).count("<tr>") == 2
    # The seat table: 50 a page, searchable by title, sortable, per opportunity.
    assert len(_seat_participants(page)) == 50 and "Page 1 of 4" in page  # 200 seats
    assert "Seats (200)" in page
    by_title = web.client.get(f"/ui/campaigns/{cid}", params={"q": "GROUP 017"}).text
    rows = _seat_participants(by_title)
    assert rows and "Seats (2)" in by_title
    roster = web.client.get(f"/ui/campaigns/{cid}", params={"opp": "OPP-000"}).text
    assert "Roster of " + TITLE.format(i=0).replace(",", " ") + " (2)" in html.unescape(roster)
    last = web.client.get(f"/ui/campaigns/{cid}", params={"page": "99"}).text
    assert "Page 4 of 4" in last and len(_seat_participants(last)) == 50
    descending = web.client.get(f"/ui/campaigns/{cid}", params={"sort": "participant", "desc": "1"}).text
    names = _seat_participants(descending)
    assert names == sorted(names, reverse=True)
    # The unassigned: 1,800, a page at a time, each with a reason per choice, titles not ids.
    assert "Unassigned (1,800)" in page
    unassigned = re.search(r'<ul class="unassigned".*?</ul>\s*(?=<nav|<p>)', page, re.S)
    assert unassigned
    assert unassigned.group(0).count("<strong>") == 50
    first = html.unescape(unassigned.group(0))
    assert f"{TITLE.format(i=0).replace(',', ' ')} was full" in first
    assert "no reasons were stored" not in first
    second = web.client.get(f"/ui/campaigns/{cid}", params={"upage": "2"}).text
    assert "Page 2 of 36" in second


def test_seat_search_is_literal_and_a_roster_is_one_opportunity(app_api: Api) -> None:
    cid = big_campaign(app_api, people=120, opportunities=10)
    web = _signed_in(app_api)
    none = web.client.get(f"/ui/campaigns/{cid}", params={"q": "%"}).text
    assert "No seat matches" in none  # % is a character, not a wildcard
    roster = web.client.get(
        f"/ui/campaigns/{cid}/seats", params={"opp": "OPP-003"}, headers={"hx-request": "true"}
    )
    assert roster.status_code == 200 and roster.text.lstrip().startswith('<div id="seats"')
    assert "<html" not in roster.text and roster.text.count("OPP-003") >= 2
    plain = web.client.get(f"/ui/campaigns/{cid}/seats", params={"q": "p0"}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/ui/campaigns/{cid}?q=p0#seats"
    by_rank = web.client.get(f"/ui/campaigns/{cid}", params={"sort": "value", "desc": "1"}).text
    cells = re.findall(r'<td class="num">([^<]+)</td><td>(?:solver|moved)', by_rank)
    assert cells and cells == sorted(cells, key=lambda c: int(c), reverse=True)


def test_a_run_shows_progress_in_the_users_units(app_api: Api) -> None:
    """A CP-SAT run that works until its time limit: the API's progress moves between 0 and 1
    (not 0 then 1) and the message names the stage and seats, never the solver's internal
    objective; the page says how long it has run of its limit."""
    lines, opps = ["participant_id,opportunity_id,rank"], ["opportunity_id,capacity"]
    opps += [f"O{i},40" for i in range(60)]
    for p in range(3000):
        lines += [f"p{p},O{(p * 7 + k * 11) % 60},{k + 1}" for k in range(6)]
    r = app_api.post("/campaigns", json={"name": "slow", "options": {"strategy": "cp_sat", "time_limit": 4}})
    cid = int(r.json()["id"])
    assert (
        app_api.post(
            f"/campaigns/{cid}/opportunities", content="\n".join(opps).encode(), headers=CSV
        ).status_code
        == 201
    )
    assert (
        app_api.post(
            f"/campaigns/{cid}/registrations", content="\n".join(lines).encode(), headers=CSV
        ).status_code
        == 201
    )
    app_api.post(f"/campaigns/{cid}/open")
    app_api.post(f"/campaigns/{cid}/close")
    run_id = app_api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
    web = _signed_in(app_api)
    seen: list[float] = []
    messages: list[str] = []
    fragment = ""
    deadline = time.monotonic() + 120
    while (run := app_api.get(f"/runs/{run_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the run did not finish"
        if run["status"] == "running":
            seen.append(run["progress"])
            messages.append(run["message"] or "")
            fragment = web.client.get(f"/ui/runs/{run_id}").text
        time.sleep(0.2)
    assert run["status"] == "done", run
    between = [p for p in seen if 0.05 < p < 0.95]
    assert between, f"progress went {seen[:3]} … {seen[-3:]}"
    assert seen == sorted(seen), "progress went backwards"
    stage_lines = [m for m in messages if m.startswith("stage 1 of 1")]
    assert stage_lines, messages[-5:]
    for m in messages:
        assert not re.search(r"-\d|\d{7,}", m.replace(",", "")), m  # no internal objective
    assert "time limit" in fragment and "of a 4 s time limit" in fragment
    assert "seats" in " ".join(stage_lines)
    stages = run["report"]["stages"]
    assert all(s.get("measure") for s in stages if s["status"] != "not run")
