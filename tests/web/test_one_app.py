"""The composition root (``flok.server``): one app, each Flok error rendered by the layer it
reached, the same use case behind an API call and a page."""

from __future__ import annotations

from .conftest import Web


def test_a_not_found_is_json_for_the_api_and_a_page_for_the_dashboard(web: Web) -> None:
    web.sign_in()
    api = web.client.get("/campaigns/999999", headers={"Authorization": f"Bearer {web.key}"})
    assert api.status_code == 404
    assert api.json() == {
        "code": "NOT_FOUND",
        "message": "no campaign with id '999999'",
        "field": None,
        "row": None,
    }
    page = web.client.get("/ui/campaigns/999999")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no campaign with id &#39;999999&#39;" in page.text  # escaped by Jinja2


def test_the_dashboard_and_the_api_share_one_state(web: Web) -> None:
    token = web.sign_in()
    auth = {"Authorization": f"Bearer {web.key}"}
    made = web.client.post(
        "/ui/campaigns", data={"name": "both", "csrf_token": token}, follow_redirects=False
    )
    assert made.status_code == 303
    cid = int(made.headers["location"].rsplit("/", 1)[1])
    assert web.client.get(f"/campaigns/{cid}", headers=auth).json()["name"] == "both"
    # A refusal of the use case: the page shows it in its message box
    # (after a redirect, so the address is the campaign's page and a refresh re-submits nothing).
    refused = web.client.post(
        f"/ui/campaigns/{cid}/status/finalize", data={"csrf_token": token, "confirm": "yes"}
    )
    assert refused.history[0].status_code == 303 and refused.url.path == f"/ui/campaigns/{cid}"
    assert refused.headers["content-type"].startswith("text/html")
    assert "cannot finalize while the campaign is draft" in refused.text
    api_refusal = web.client.post(f"/campaigns/{cid}/finalize", headers=auth)
    assert api_refusal.status_code == 409 and api_refusal.json()["code"] == "WRONG_STATUS"
    # The page's run closes preferences first; the API sees the campaign closed and the run.
    ran = web.client.post(f"/ui/campaigns/{cid}/run", data={"csrf_token": token}, follow_redirects=False)
    assert ran.status_code == 303
    runs = web.client.get(f"/runs?campaign_id={cid}", headers=auth).json()
    assert len(runs) == 1 and runs[0]["kind"] == "allocate"
