"""A campaign big enough to need paging: long titles, one opportunity nearly everyone lists."""

from __future__ import annotations

import time

from tests.service.conftest import Api

CSV = {"content-type": "text/csv"}
TITLE = "Advanced seminar on capacity-aware matching, group {i:03d}, with Professor Bartholomew-Fitzgerald"


def csvs(people: int, opportunities: int, *, hot: str = "OPP-000") -> tuple[str, str]:
    """(opportunities.csv, preferences.csv): everyone lists the hot opportunity first (demand =
    ``people``), then three others; two seats each, so most people are left without a seat."""
    opps = ["opportunity_id,capacity,title"] + [
        f"OPP-{i:03d},2,{TITLE.format(i=i).replace(',', ' ')}" for i in range(opportunities)
    ]
    prefs = ["participant_id,opportunity_id,rank"]
    for p in range(people):
        prefs.append(f"p{p:05d},{hot},1")
        for k in range(3):
            prefs.append(f"p{p:05d},OPP-{1 + (p * 7 + k * 13) % (opportunities - 1):03d},{k + 2}")
    return "\n".join(opps) + "\n", "\n".join(prefs) + "\n"


def big_campaign(api: Api, people: int = 2_000, opportunities: int = 100, **options: object) -> int:
    """An allocated campaign from ``csvs``; its id."""
    opps, prefs = csvs(people, opportunities)
    r = api.post("/campaigns", json={"name": "Big", "options": {"strategy": "min_cost_flow", **options}})
    assert r.status_code == 201, r.text
    cid = int(r.json()["id"])
    assert api.post(f"/campaigns/{cid}/opportunities", content=opps.encode(), headers=CSV).status_code == 201
    assert api.post(f"/campaigns/{cid}/registrations", content=prefs.encode(), headers=CSV).status_code == 201
    assert api.post(f"/campaigns/{cid}/open").status_code == 200
    assert api.post(f"/campaigns/{cid}/close").status_code == 200
    run = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
    deadline = time.monotonic() + 120
    while api.get(f"/runs/{run}").json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the allocation did not finish"
        time.sleep(0.1)
    assert api.get(f"/runs/{run}").json()["status"] == "done"
    return cid
