"""In headless Chromium: a change after the allocation → re-solve → diff → commit → undo (rollback),
through the dashboard's own forms (CSRF, post/redirect/get, confirmation before rolling back)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_browser import Server, browser, page, server, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_change_diff_commit_undo(page: Any, server: Server) -> None:  # noqa: F811
    page.goto(f"{server.base}/ui/campaigns/1")
    page.get_by_role("button", name="Close registrations and run").click()
    page.get_by_role("heading", name="Results").wait_for()
    assert page.locator("#label").inner_text().startswith("optimal · ")
    page.get_by_role("link", name="Changes and re-solve").click()
    page.wait_for_url("**/ui/campaigns/1/changes")
    # A tutor falls ill: T3 is cancelled; a late student arrives.
    page.get_by_label("Opportunity", exact=True).select_option("T3")
    page.locator("#cap-reason").fill("tutor ill")
    page.get_by_role("button", name="Cancel opportunity").click()
    assert "T3: cancelled; 2 seats over until you re-solve." in page.get_by_role("status").inner_text()
    page.get_by_label("Their preferences (CSV)").fill(
        "participant_id,opportunity_id,rank\nlate1,T1,1\nlate1,T2,2\n"
    )
    page.get_by_role("button", name="Add late participants").click()
    assert "1 late participant added." in page.get_by_role("status").inner_text()
    assert "tutor ill" in page.get_by_role("region", name="Recorded changes (2)").inner_text()
    page.get_by_label("Stability").select_option("strict")
    page.get_by_role("button", name="Re-solve as a draft").click()
    page.get_by_role("button", name="Commit this draft").wait_for()  # the run's page turns into its diff
    counts = page.get_by_role("list", name="Counts").inner_text()
    assert "unchanged" in counts
    rows = page.locator("#diff-people tbody tr")
    assert rows.count() >= 2  # T3's two holders at least
    assert all(
        "T3" in rows.nth(i).inner_text() or "late1" in rows.nth(i).inner_text() for i in range(rows.count())
    )
    page.get_by_role("link", name="Change", exact=True).click()  # sortable
    assert page.locator("th[aria-sort='ascending']").inner_text().startswith("Change")
    shot(page, "changes-draft-diff")
    page.get_by_role("button", name="Commit this draft").click()
    page.wait_for_url("**/ui/campaigns/1/versions")
    assert "Committed as version 4." in page.get_by_role("status").inner_text()
    assert "optimal under stability=strict from version 4" in page.locator("#label").inner_text()
    shot(page, "changes-versions")
    # Undo: roll back to version 1, confirming first (asking changes nothing).
    page.locator("#versions tbody tr").filter(has_text="allocate").get_by_role(
        "link", name="Roll back…"
    ).click()
    page.get_by_role("heading", name="Roll back to version 1?").wait_for()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/ui/campaigns/1/versions")
    assert page.locator("#versions tbody tr").count() == 4
    page.locator("#versions tbody tr").filter(has_text="allocate").get_by_role(
        "link", name="Roll back…"
    ).click()
    page.get_by_role("button", name="Yes, roll back").click()
    assert "Rolled back to version 1: now version 5." in page.get_by_role("status").inner_text()
    page.goto(f"{server.base}/ui/campaigns/1")
    assert "rolled back to version 1" in page.locator("#label").inner_text()
    assert (
        page.get_by_role("region", name="Seats (6)").locator("tbody tr").filter(has_text="Tutorial 3").count()
        == 2
    )
