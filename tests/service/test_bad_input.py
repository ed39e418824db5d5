"""Bad input answers 4xx with a precise JSON error and leaves nothing half-written."""

from __future__ import annotations

from tests.service.conftest import Api, in_process
from tests.service.helpers import CSV


def test_every_error_is_json_with_code_message_field(api: Api) -> None:
    for response in (
        api.client.get("/campaigns"),  # no key
        api.get("/campaigns/12345"),
        api.get("/no/such/route"),
        api.post("/opportunities", json={"opportunity_id": "o", "capacity": -1}),
        api.post("/opportunities", content=b"{not json", headers={"content-type": "application/json"}),
        api.get("/runs/0"),
        api.get("/runs/99999999999999"),
    ):
        body = response.json()
        assert 400 <= response.status_code < 500, (response.status_code, body)
        assert set(body) >= {"code", "message", "field"}, body
        assert body["message"]


def test_negative_capacity_and_naive_times_name_the_field(api: Api) -> None:
    neg = api.post("/opportunities", json={"opportunity_id": "o", "capacity": -1})
    assert neg.status_code == 422 and neg.json()["field"] == "capacity"
    naive = api.post(
        "/opportunities", json={"opportunity_id": "o", "capacity": 1, "start": "2026-01-01T10:00:00"}
    )
    assert (
        naive.status_code == 422
        and naive.json()["field"] == "start"
        and "timezone" in naive.json()["message"]
    )
    backwards = api.post(
        "/opportunities",
        json={
            "opportunity_id": "o",
            "capacity": 1,
            "start": "2026-01-02T10:00:00Z",
            "end": "2026-01-01T10:00:00Z",
        },
    )
    assert backwards.status_code == 422 and "end is before start" in backwards.json()["message"]
    window = api.post(
        "/participants",
        json={
            "participant_id": "p",
            "availability": [{"start": "2026-01-01T10:00:00", "end": "2026-01-01T12:00:00Z"}],
        },
    )
    assert window.status_code == 422 and window.json()["field"] == "availability.0.start"
    unknown = api.post("/opportunities", json={"opportunity_id": "o", "capacity": 1, "colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "colour"
    assert api.get("/opportunities").json() == []


def test_oversized_body_is_refused_before_it_is_read(sqlite_url: str) -> None:
    with in_process(sqlite_url, max_body_bytes=1000) as api:
        cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
        big = b"opportunity_id,capacity\n" + b"".join(b"o%d,1\n" % i for i in range(500))
        r = api.post(f"/campaigns/{cid}/opportunities", content=big, headers=CSV)
        assert r.status_code == 413 and r.json()["code"] == "TOO_LARGE"

        def chunks() -> object:
            yield big[:600]
            yield big[600:]

        streamed = api.post(f"/campaigns/{cid}/opportunities", content=chunks(), headers=CSV)  # no length
        assert streamed.status_code == 413
        assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0


def test_malformed_csv_uploads(api: Api) -> None:
    cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
    cases = {
        b"": ("empty", 1),
        b"opportunity_id,capacity\n": ("no data rows", 2),
        b"opportunity_id,capacity\nA,1\nB\n": ("expected 2 fields", 3),
        b"opportunity_id,capacity\nA,one\n": ("whole number", 2),
        b"opportunity_id,capacity\nA,1\nA,2\n": ("duplicate id", 3),
        b"opportunity_id,capacity\nA,\xff\n": ("whole number of seats, got '\xff'", 2),  # Windows-1252 'ÿ'
        b"opportunity_id,capacity\nA,\x81\x8d\x8f\n": ("encoding is unclear", 2),
        b"id,capacity\nA,1\n": ("missing required column 'opportunity_id'", 1),
    }
    for data, (words, row) in cases.items():
        r = api.post(f"/campaigns/{cid}/opportunities", content=data, headers=CSV)
        assert r.status_code == 422, (data, r.text)
        assert words in r.json()["message"] and r.json()["row"] == row, (data, r.json())
    wrong_type = api.post(
        f"/campaigns/{cid}/opportunities", content=b"<xml/>", headers={"content-type": "application/xml"}
    )
    assert wrong_type.status_code == 415
    assert api.post(f"/campaigns/{cid}/opportunities", json={"a": 1}).status_code == 422
    assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0


def test_unknown_ids_are_404(api: Api) -> None:
    assert api.get("/campaigns/777/allocation").status_code == 404
    assert api.post("/campaigns/777/allocate").status_code == 404
    assert api.get("/participants/ghost").status_code == 404
    assert api.delete("/opportunities/ghost").status_code == 404
    assert api.post("/runs/5/cancel").status_code == 404
    assert api.get("/campaigns/abc").status_code == 422
