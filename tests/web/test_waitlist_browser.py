"""The waitlist page in headless Chromium against a real server: a withdrawal frees a seat, the
page shows the offer and the queue, the organizer accepts on the participant's behalf (asked
first), and the cascade's next offer appears."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.service.conftest import LIMIT
from tests.service.helpers import wait_for

from .test_browser import Server, browser, page, server, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
CSV = {"content-type": "text/csv"}
OPPS = "opportunity_id,capacity,title\nA,1,Algebra\nB,1,Biology\n"
PREFS = "participant_id,opportunity_id,rank\namy,A,1\nbo,B,1\nzoe,A,1\nzoe,B,2\nwes,B,1\n"


def _finalized_with_an_offer(server: Server) -> int:  # noqa: F811
    """Over the API: amy holds A, bo holds B; zoe (A, then B) and wes (B) wait; bo withdraws."""
    auth = {"Authorization": f"Bearer {server.key}"}
    with httpx.Client(base_url=server.base, headers=auth, timeout=LIMIT) as api:
        options = {"forced": [["amy", "A"], ["bo", "B"]], "seed": 1}
        cid = api.post("/campaigns", json={"name": "Waitlist demo", "options": options}).json()["id"]
        assert api.post(f"/campaigns/{cid}/opportunities", content=OPPS, headers=CSV).status_code == 201
        assert api.post(f"/campaigns/{cid}/preferences", content=PREFS, headers=CSV).status_code == 201
        api.post(f"/campaigns/{cid}/open")
        api.post(f"/campaigns/{cid}/close")
        run = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
        wait_for(lambda: api.get(f"/runs/{run}").json()["status"] == "done", "the allocation")
        assert api.post(f"/campaigns/{cid}/finalize").status_code == 200
        assert api.delete(f"/campaigns/{cid}/preferences/bo").status_code == 204
        return int(cid)


def test_waitlist_page_accept_on_behalf_then_the_next_offer(page: Any, server: Server) -> None:  # noqa: F811
    cid = _finalized_with_an_offer(server)
    page.goto(f"{server.base}/ui/campaigns/{cid}")
    page.get_by_role("link", name="Waitlist and offers").click()
    page.wait_for_url(f"**/ui/campaigns/{cid}/waitlist")
    biology = page.locator("section[data-opportunity='B']")
    assert "0 of 1 seats taken" in biology.inner_text() and "1 open offer" in biology.inner_text()
    assert biology.locator("table.offers tbody tr").inner_text().split()[1] == "wes"
    # In line for B: wes (rank 1, offered), then zoe (rank 2).
    rows = biology.locator("table.queue tbody tr")
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())] == ["wes", "zoe"]
    shot(page, "waitlist")
    biology.get_by_role("link", name="Decline…").click()
    page.get_by_role("heading", name="Decline the seat in B for wes?").wait_for()
    page.get_by_role("link", name="Cancel").click()  # changing one's mind changes nothing
    page.wait_for_url(f"**/ui/campaigns/{cid}/waitlist")
    page.locator("section[data-opportunity='B']").get_by_role("link", name="Decline…").click()
    page.get_by_role("button", name="Yes, decline").click()
    page.wait_for_url(f"**/ui/campaigns/{cid}/waitlist")
    assert "New offers: B to zoe." in page.get_by_role("status").inner_text()
    biology = page.locator("section[data-opportunity='B']")
    assert biology.locator("table.offers tbody tr").inner_text().split()[1] == "zoe"
    biology.get_by_role("link", name="Accept…").click()
    page.get_by_role("heading", name="Accept the seat in B for zoe?").wait_for()
    shot(page, "waitlist-accept-confirm")
    page.get_by_role("button", name="Yes, accept").click()
    page.wait_for_url(f"**/ui/campaigns/{cid}/waitlist")
    assert "accepted." in page.get_by_role("status").inner_text()
    assert "1 of 1 seats taken" in page.locator("section[data-opportunity='B']").inner_text()
    history = page.locator("table.history").inner_text().lower()  # statuses are set in capitals
    assert "declined" in history and "accepted" in history
    page.reload()
    assert page.get_by_role("status").count() == 0  # the notice is shown once
