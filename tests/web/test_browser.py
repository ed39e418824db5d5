"""End-to-end tests in headless Chromium (Debian's build, driven by Playwright) against a real server.

Each page is saved as a screenshot under ``artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from flok.app.settings import Settings
from flok.server import create_app
from tests.service.conftest import Api

from .conftest import SAMPLE, seeded
from .scale import big_campaign

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("FLOK_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CIRCLES_SAMPLE = SAMPLE / "circle-participants.csv"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    key: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url, key = seeded(tmp_path_factory.mktemp("web"))
    # Runs wait a moment before they start, so the live progress bar is on screen long enough to see.
    app = create_app(Settings(database_url=url, run_delay_seconds=1.5))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield Server(f"http://127.0.0.1:{port}", key)
    srv.should_exit = True
    thread.join(120)
    app.state.flok.db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        pytest.skip(
            f"no Chromium at {CHROMIUM} (make test installs Debian's chromium; apt-get install chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def csp_violations(tab: Any) -> list[str]:
    """Collects what Chromium reports when the Content-Security-Policy blocks something (console
    messages, e.g. "Refused to apply inline style ...", and the DOM's violation events)."""
    found: list[str] = []
    tab.on(
        "console",
        lambda msg: (
            found.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    tab.expose_function("__flokCspViolation", lambda text: found.append(text))
    tab.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__flokCspViolation(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return found


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A signed-in tab; any CSP violation on the pages a test visits fails the test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    context.set_default_timeout(60_000)  # generous: the machine may be busy
    tab = context.new_page()
    violations = csp_violations(tab)
    tab.goto(f"{server.base}/ui/login")
    tab.get_by_label("API key").fill(server.key)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/ui/campaigns")
    yield tab
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def shot(tab: Any, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_campaign_from_sample_csvs_to_finalized_download(page: Any, tmp_path: Path) -> None:
    shot(page, "campaigns")
    page.get_by_label("Name").fill("Tutorials WS26")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/ui/campaigns/*")
    home = page.url
    bad = tmp_path / "opportunities.csv"
    bad.write_text("opportunity_id,capacity\nMON-09,two\n")
    page.get_by_label("Opportunities file").set_input_files(str(bad))
    page.get_by_role("button", name="Preview opportunities").click()
    # The preview shows every problem with its row and header, and stores nothing.
    alert = page.get_by_role("alert")
    assert "row 2" in alert.inner_text() and "'two'" in alert.inner_text()
    page.get_by_role("link", name="Cancel").click()
    assert page.url.split("#")[0] == home and "0 opportunities" in page.locator("main").inner_text()
    page.get_by_label("Opportunities file").set_input_files(str(SAMPLE / "opportunities.csv"))
    page.get_by_role("button", name="Preview opportunities").click()
    page.get_by_role("button", name="Add 4 opportunities").click()
    # Post/redirect/get: the notice is shown on the campaign's page, and a refresh re-submits nothing.
    assert "4 opportunities added" in page.get_by_role("status").inner_text()
    assert page.url.split("#")[0] == home
    page.get_by_text("4 opportunities ·").wait_for()
    page.get_by_label("Preferences file").set_input_files(str(SAMPLE / "preferences.csv"))
    page.get_by_role("button", name="Preview preferences").click()
    page.locator("#commit").click()
    page.get_by_text("9 participants").wait_for()
    page.get_by_label("Fairness objective").select_option("lexicographic")
    page.get_by_role("button", name="Save options").click()
    assert page.get_by_role("status").inner_text() == "Options saved."
    page.reload()
    assert page.get_by_role("status").count() == 0  # shown once
    page.get_by_role("button", name="Close registrations and run").click()
    page.get_by_role("progressbar").wait_for()
    assert page.get_by_role("button", name="Cancel run").is_visible()
    # Queued, the run has no elapsed time yet ("0%"); once it started (or finished, on a quick
    # machine) the line reads "… of a 1 min time limit". Wait for it rather than race the worker.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.run-time')]"
        ".some(e => e.innerText.includes('of a 1 min time limit'))",
        timeout=180_000,
    )
    page.get_by_role("heading", name="Results").wait_for()
    assert page.locator("svg[aria-label='Seats by rank']").count() == 1
    assert page.locator("table.fill tbody tr").count() == 4
    page.locator("ul.unassigned summary").first.click()  # ben's reasons, one per choice
    unassigned = page.locator("ul.unassigned").inner_text()
    assert "Monday 9:00 with Dr Ito was full" in unassigned  # named by title, not id
    seats = page.get_by_role("region", name="Seats (7)")
    assert seats.locator("tbody tr").count() == 7
    shot(page, "campaign-results")
    # Finalize sits above the results and asks first, showing what it will confirm and reject.
    box = page.locator("#finalize")
    assert box.bounding_box()["y"] < page.get_by_role("region", name="Seats (7)").bounding_box()["y"]
    assert "7 seats confirmed" in box.inner_text() and "registrations rejected" in box.inner_text()
    box.get_by_role("link", name="Finalize…").click()
    page.wait_for_url("**/finalize")
    page.get_by_role("heading", name="Finalize Tutorials WS26?").wait_for()
    assert "7 seats confirmed" in page.locator(".finalize-counts").inner_text()
    shot(page, "finalize-confirm")
    page.get_by_role("link", name="Cancel").click()  # changing one's mind changes nothing
    page.wait_for_url("**/ui/campaigns/*#results")
    assert page.locator("#finalize").is_visible()
    page.get_by_role("link", name="Finalize…").click()
    page.get_by_role("button", name="Yes, finalize").click()
    page.get_by_text("Finalized:").wait_for()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download assignments CSV").click()
    text = Path(info.value.path()).read_text()
    assert text.startswith("participant_id,opportunity_id,rank") and len(text.splitlines()) == 10


def test_lms_export_through_preview_mapping_then_replace_clear_and_delete(page: Any, tmp_path: Path) -> None:
    page.get_by_label("Name").fill("Seminars")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/ui/campaigns/*")
    home = page.url.split("#")[0]
    page.get_by_label("Opportunities file").set_input_files(str(SAMPLE / "opportunities.csv"))
    page.get_by_role("button", name="Preview opportunities").click()
    page.get_by_role("button", name="Add 4 opportunities").click()
    table = page.get_by_role("region", name="Opportunities (4)")
    assert table.locator("tbody tr").count() == 4 and "Dr Ito" in table.inner_text()
    lms = tmp_path / "lms.csv"  # a European spreadsheet's export: ';', the id under an unknown name
    lms.write_text("Matric;Name;Choice 1;Choice 2\nana;Ana;MON-09;TUE-10\nben;Ben;TUE-10;MON-09\n")
    page.get_by_label("Preferences file").set_input_files(str(lms))
    page.get_by_role("button", name="Preview preferences").click()
    assert "no column says who each row is" in page.get_by_role("alert").inner_text()
    page.get_by_label("participant_id").select_option("Matric")
    page.get_by_role("button", name="Preview again").click()
    assert "ana" in page.locator("table.preview").inner_text()
    shot(page, "import-preview")
    page.get_by_role("button", name="Add 4 preferences").click()
    assert "4 preferences added from lms.csv" in page.get_by_role("status").inner_text()
    page.get_by_text("2 participants").wait_for()
    # Replace all preferences: the preview says it replaces, then the count follows the new file.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("participant_id,opportunity_id,rank\nana,TUE-10,1\n")
    page.get_by_label("Preferences file").set_input_files(str(fixed))
    page.locator("#mode-replace-preferences").check()
    page.get_by_role("button", name="Preview preferences").click()
    page.get_by_role("button", name="Replace all preferences").click()
    assert "1 preferences replaced by fixed.csv" in page.get_by_role("status").inner_text()
    page.get_by_text("1 participants").wait_for()
    page.get_by_role("link", name="Clear preferences…").click()
    page.get_by_role("link", name="Cancel").click()  # changing one's mind changes nothing
    page.get_by_text("1 participants").wait_for()
    page.get_by_role("link", name="Clear preferences…").click()
    page.get_by_role("button", name="Yes, clear preferences").click()
    assert "1 preferences removed" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Delete campaign…").click()
    page.get_by_role("heading", name="Delete Seminars?").wait_for()
    shot(page, "delete-confirm")
    page.get_by_role("button", name="Yes, delete the campaign").click()
    page.wait_for_url("**/ui/campaigns")
    assert "Seminars” deleted" in page.get_by_role("status").inner_text()
    assert page.goto(home).status == 404


def _new_campaign(page: Any, name: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/ui/campaigns/*")


def test_xlsx_and_semicolon_cp1252_files_through_preview_mapping_and_commit(
    page: Any, tmp_path: Path
) -> None:
    """A spreadsheet's xlsx with its own headers, and a European ';'-separated Windows-1252 CSV."""
    import openpyxl

    _new_campaign(page, "Kurse")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Kurs", "Plätze", "Titel"], ["MON-09", 2, "Montag"], ["TUE-10", 1, "Dienstag"]):
        sheet.append(row)
    courses = tmp_path / "kurse.xlsx"
    book.save(courses)
    page.get_by_label("Opportunities file").set_input_files(str(courses))
    page.get_by_role("button", name="Preview opportunities").click()
    assert "no column for 'opportunity_id'" in page.get_by_role("alert").inner_text()
    page.get_by_label("opportunity_id").select_option("Kurs")
    page.get_by_label("capacity").select_option("Plätze")
    page.get_by_label("title").select_option("Titel")
    page.get_by_role("button", name="Preview again").click()
    assert "Dienstag" in page.locator("table.preview").inner_text()
    page.get_by_role("button", name="Add 2 opportunities").click()
    assert "2 opportunities added from kurse.xlsx" in page.get_by_role("status").inner_text()
    euro = tmp_path / "wahl.csv"
    euro.write_bytes(
        "Matrikel;Name;Wahl 1;Wahl 2\nana;Zoë;MON-09;TUE-10\nben;Bjørn;TUE-10;MON-09\n".encode("cp1252")
    )
    page.get_by_label("Preferences file").set_input_files(str(euro))
    page.get_by_role("button", name="Preview preferences").click()
    page.get_by_label("participant_id").select_option("Matrikel")
    page.get_by_role("button", name="Preview again").click()
    preview = page.locator("#preview").inner_text()
    assert "choices" in preview and "ana" in page.locator("table.preview").inner_text()
    assert "cp1252" in preview.lower() or "windows-1252" in preview.lower()  # the encoding is said
    page.get_by_role("button", name="Add 4 preferences").click()
    assert "4 preferences added from wahl.csv" in page.get_by_role("status").inner_text()
    page.get_by_text("2 participants").wait_for()


def test_circles_from_a_raw_survey_through_preview_mapping_and_commit(page: Any, tmp_path: Path) -> None:
    from flok.io.circles import write_survey

    survey, circles, _truth = write_survey(tmp_path, 60, seed=15)
    page.get_by_role("link", name="Circles").click()
    page.get_by_label("Participants CSV").set_input_files(str(survey))
    page.get_by_label("Existing circles CSV (optional)").set_input_files(str(circles))
    page.get_by_label("Survey preset").select_option("gsb-circles-survey")
    page.get_by_label("Diversity attributes").fill("industry")  # the survey says "Industry Sector"
    page.get_by_role("button", name="Preview and map columns").click()
    page.get_by_role("heading", name="Form circles from survey.csv").wait_for()
    assert "industry" in page.get_by_role("alert").inner_text()  # named, and fixable here
    page.get_by_label("Diversity attributes").fill("industry sector")
    page.get_by_role("button", name="Preview again").click()
    assert page.get_by_label("participant_id").input_value() == "Encoded ID"
    # Unreadable times are listed with row and column; forming waits until they are dealt with.
    assert "Days and Times of Week" in page.locator("#dropped").inner_text()
    assert page.locator("#commit").count() == 0
    page.get_by_label("Drop unreadable times (each is listed)").check()
    page.get_by_role("button", name="Preview again").click()
    shot(page, "circles-survey-preview")
    page.locator("#commit").click()
    page.get_by_text("From survey.csv and circles.csv").wait_for()
    assert "Circles formed." in page.get_by_role("status").inner_text()


def test_community_page(page: Any) -> None:
    page.get_by_role("link", name="Community").click()
    page.get_by_role("heading", name="Opportunities").wait_for()
    assert page.locator(".badge-high-demand").count() >= 1
    assert page.locator("svg.spark").count() == 5
    page.get_by_label("As seen by").select_option("ben")
    page.locator("#feed li").first.wait_for()
    assert page.locator("#feed li.blocked").count() >= 1
    page.get_by_role("button", name="Rebalance now").click()
    page.get_by_text("Suggested").first.wait_for()
    assert page.locator("svg[aria-label='Community in numbers']").count() == 1
    shot(page, "community")


def test_community_metrics_and_periodic_rebalance_form(page: Any) -> None:
    """The five metrics on the page; the schedule form turns the periodic rebalance on, the
    server's ticker queues it within a tick, and the page shows its last run (reloaded until it
    does, with a generous limit); then it is turned off again."""
    page.get_by_role("link", name="Community").click()
    metrics = page.locator("#design-metrics")
    metrics.wait_for()
    for term in (
        "Fill rate",
        "Matched share",
        "Time to first RSVP",
        "Matched within 24 h",
        "Oversubscription",
    ):
        assert metrics.get_by_text(term, exact=True).count() == 1
    assert "RSVP attempts refused as full" in page.locator("#m-over").inner_text()
    assert "first-timers" in page.locator("#m-inclusion").inner_text()
    page.get_by_label("Rebalance periodically").check()
    page.get_by_label("Every (minutes)").fill("5")
    page.get_by_role("button", name="Save schedule").click()
    assert "Periodic rebalance on: every 5 minutes." in page.get_by_role("status").inner_text()
    status = page.locator("#schedule-status")
    assert status.inner_text().startswith("On: every 5 minutes")
    deadline = time.monotonic() + 180  # the ticker runs every 30 s; the machine may be busy
    while "suggested" not in status.inner_text():
        assert time.monotonic() < deadline, f"no scheduled run shown: {status.inner_text()}"
        page.wait_for_timeout(500)
        page.reload()
    assert "(done," in status.inner_text()
    shot(page, "community-schedule")
    page.get_by_label("Rebalance periodically").uncheck()
    page.get_by_role("button", name="Save schedule").click()
    assert "Periodic rebalance off." in page.get_by_role("status").inner_text()
    assert page.locator("#schedule-status").inner_text().startswith("Off")


def test_circles_page(page: Any) -> None:
    page.get_by_role("link", name="Circles").click()
    page.get_by_label("Participants CSV").set_input_files(str(CIRCLES_SAMPLE))
    page.get_by_label("Existing circles CSV (optional)").set_input_files(str(SAMPLE / "circles.csv"))
    page.get_by_label("Mode").select_option("dissolve")
    page.get_by_role("button", name="Form circles now").click()
    page.get_by_text("mode dissolve").wait_for()
    assert page.get_by_role("heading", name="New York").count() == 1
    assert page.get_by_role("heading", name="Unmatched").count() == 1
    shot(page, "circles")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download circles.csv").click()
    assert Path(info.value.path()).read_text().startswith("circle_id,region")


@pytest.fixture(scope="module")
def big(server: Server) -> int:
    """A campaign of 2,000 people and 100 long-titled opportunities, allocated (its id)."""
    with httpx.Client(base_url=server.base, timeout=60) as client:
        return big_campaign(Api(client, server.key, None))  # type: ignore[arg-type]


def _cut_labels(tab: Any, selector: str) -> list[str]:
    """Texts in ``selector`` cells that do not fit their box (cut off, or spilling over)."""
    return list(
        tab.eval_on_selector_all(
            selector, "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)"
        )
    )


def test_results_at_scale(page: Any, server: Server, big: int) -> None:
    """2,000 people: the demand chart shows the 25 most wanted with whole labels and formatted
    numbers, a search finds the others; the seat table searches, sorts, pages and shows one
    opportunity's roster without reloading the page; the unassigned have their reasons."""
    page.goto(f"{server.base}/ui/campaigns/{big}")
    fill = page.locator("table.fill tbody tr")
    assert fill.count() == 25
    assert _cut_labels(page, "table.fill td") == []
    assert "2,000" in page.locator("table.fill").inner_text()
    assert page.evaluate("document.documentElement.scrollHeight") < 12_000
    page.get_by_label("Find an opportunity").fill("group 099")
    page.get_by_role("button", name="Find").first.click()
    page.wait_for_url("**fq=group+099*")
    assert fill.count() == 1 and "OPP-099" in fill.first.inner_text()
    shot(page, "campaign-scale-search")
    page.goto(f"{server.base}/ui/campaigns/{big}")
    assert "Unassigned (1,800)" in page.locator("#un-h").inner_text()
    first = page.locator("ul.unassigned details").first
    first.locator("summary").click()
    assert "was full" in first.inner_text()
    seats = page.locator("#seats")
    assert "Page 1 of 4" in seats.inner_text()
    page.evaluate("window.__sameDocument = true")  # survives only while htmx swaps, not a reload
    seats.get_by_role("link", name="Next").click()
    page.get_by_text("Page 2 of 4").wait_for()
    seats.get_by_role("link", name="rank").click()
    seats.get_by_role("link", name="rank ↑").wait_for()  # the swapped table, sorted by rank
    page.get_by_label("Find a seat by participant or opportunity").fill("GROUP 017")
    page.get_by_label("Find a seat by participant or opportunity").press("Enter")
    page.get_by_role("heading", name="Seats (2)").wait_for()
    assert page.locator("#seats tbody tr").count() == 2
    assert page.evaluate("window.__sameDocument") is True
    page.goto(f"{server.base}/ui/campaigns/{big}")
    page.locator("table.fill tbody tr").first.get_by_role("link").click()
    page.get_by_role("heading", name="Roster of").wait_for()
    assert page.locator("#seats tbody tr").count() == 2
    shot(page, "campaign-scale")


def test_unknown_pages_are_dashboard_pages(page: Any, server: Server) -> None:
    for path in ("/ui/campaigns/abc", "/ui/nope"):
        answer = page.goto(f"{server.base}{path}")
        assert answer.status == 404
        page.get_by_role("heading", name="Page not found").wait_for()
        page.get_by_role("link", name="Campaigns").wait_for()  # the dashboard's own navigation
    shot(page, "not-found")


def test_touch_targets_on_a_phone(browser: Any, server: Server, big: int) -> None:
    """docs/dashboard.md promises links and buttons at least 44 px tall on a phone."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    tab = context.new_page()
    violations = csp_violations(tab)
    tab.goto(f"{server.base}/ui/login")
    tab.get_by_label("API key").fill(server.key)
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/ui/campaigns")
    for path in ("/ui/campaigns", f"/ui/campaigns/{big}", "/ui/community", "/ui/circles"):
        tab.goto(f"{server.base}{path}")
        small = tab.eval_on_selector_all(
            "header a, header button, main button, main a.button, #seats th a, .pager a",
            "els => els.filter(e => e.offsetParent !== null)"
            " .map(e => [e.innerText.trim(), e.getBoundingClientRect().height])"
            " .filter(([, h]) => h < 44)",
        )
        assert small == [], f"{path}: targets under 44 px: {small}"
        wide = tab.eval_on_selector_all(
            "main *",
            "els => els.filter(e => e.getBoundingClientRect().right > 392)"
            " .map(e => e.outerHTML.slice(0, 120))",
        )
        assert tab.evaluate("document.documentElement.scrollWidth") <= 400, (path, wide[:5])
    tab.goto(f"{server.base}/ui/campaigns/{big}")
    assert _cut_labels(tab, "table.fill td:first-child") == []
    shot(tab, "campaign-mobile")
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def test_phone_sized_screen(browser: Any, server: Server) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    tab = context.new_page()
    tab.goto(f"{server.base}/ui/login")
    tab.get_by_label("API key").fill(server.key)
    tab.keyboard.press("Enter")  # the form works from the keyboard
    tab.wait_for_url("**/ui/campaigns")
    tab.goto(f"{server.base}/ui/community")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page is {width}px wide on a 390px screen"
    shot(tab, "community-mobile", full_page=False)
    tab.goto(f"{server.base}/ui/campaigns/1")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 400
    tab.goto(f"{server.base}/ui/circles")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 400
    context.close()


def test_no_csp_violation_on_the_main_pages_and_the_api_docs(browser: Any, server: Server) -> None:
    """The pages work under their Content-Security-Policy: nothing blocked, docs rendered offline."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(60_000)  # generous: the machine may be busy
    tab = context.new_page()
    violations = csp_violations(tab)
    outside: list[str] = []
    tab.on(
        "request",
        lambda req: (
            outside.append(req.url) if not req.url.startswith((server.base, "data:", "blob:")) else None
        ),
    )
    tab.goto(f"{server.base}/ui/login")
    tab.get_by_label("API key").fill(server.key)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/ui/campaigns")
    for path in ("/ui/campaigns/1", "/ui/community", "/ui/circles", "/ui/campaigns"):
        tab.goto(f"{server.base}{path}")
        tab.wait_for_load_state("networkidle")
    tab.goto(f"{server.base}/docs")
    tab.locator(".opblock").first.wait_for()  # Swagger UI rendered the operations
    shot(tab, "api-docs", full_page=False)
    tab.goto(f"{server.base}/redoc")
    tab.get_by_text("Flok", exact=False).first.wait_for()
    tab.locator("[data-section-id]").first.wait_for()  # ReDoc rendered the reference
    tab.wait_for_load_state("networkidle")
    shot(tab, "api-redoc", full_page=False)
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"
    assert outside == [], f"pages loaded from outside the service: {outside}"
