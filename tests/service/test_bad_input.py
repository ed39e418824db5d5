"""Bad input answers 4xx with a precise JSON error and leaves nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from flok.store import campaigns as campaigns_repo
from flok.store import keys, runs
from tests.service.conftest import Api, in_process
from tests.service.helpers import CSV, OPPS, REGS, campaign
from tests.web.conftest import Web


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


JSON = {"content-type": "application/json"}
DEEP = "[" * 900 + "]" * 900
POISONED_OPTIONS = {  # JSON text: a lone surrogate cannot travel in an encoded request body
    "surrogate in a pair": b'{"forbidden": [["\\ud800", "x"]]}',
    "surrogate as a category": b'{"category_limit": {"\\ud800": 1}}',
    "quota nested 900 deep": b'{"quotas": [{"attribute": "a", "value": %s, "max": 1}]}' % DEEP.encode(),
    "surrogate as raw UTF-8": b'{"forbidden": [["a", "\xed\xb0\x80"]]}',  # not a form field: forms decode
}


def _refused(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert 400 <= response.status_code < 500, (response.status_code, body)
    assert set(body) == {"code", "message", "field", "row"} and body["message"], body
    return dict(body)


def test_a_poisoned_campaign_is_refused_and_stores_nothing(db_url: str) -> None:
    """Options no JSON encoder can write back (a lone surrogate, 900 levels of nesting) were
    stored, then every read of the organization's campaigns answered 500."""
    with in_process(db_url) as api:
        good = api.post("/campaigns", json={"name": "good", "options": {"seed": 1}}).json()
        web = Web(api.client, api.key, api.db)
        token = web.sign_in()
        for label, options in POISONED_OPTIONS.items():
            created = api.post(
                "/campaigns", content=b'{"name": "bad", "options": %s}' % options, headers=JSON
            )
            assert _refused(created)["code"] == "INVALID_JSON", label
            put = api.put(
                f"/campaigns/{good['id']}/options", content=b'{"options": %s}' % options, headers=JSON
            )
            assert _refused(put)["code"] == "INVALID_JSON", label
            if b"\xed" in options:
                continue
            form = web.client.post(
                f"/ui/campaigns/{good['id']}/options",
                data={
                    "csrf_token": token,
                    "strategy": "auto",
                    "objective": "sum",
                    "constraints": options.decode(),
                },
            )
            # The dashboard answers by post/redirect/get: the campaign page with the error shown.
            assert form.history and form.history[0].status_code == 303, (label, form.status_code)
            assert 'role="alert"' in form.text and "constraints" in form.text, label
        listed = api.get("/campaigns")
        assert listed.status_code == 200 and [c["name"] for c in listed.json()] == ["good"]
        shown = api.get(f"/campaigns/{good['id']}")
        assert shown.status_code == 200 and shown.json()["options"] == {"seed": 1}


def test_campaigns_stored_with_bad_options_before_the_checks_can_still_be_read(db_url: str) -> None:
    """A row written before options were normalised (straight through the repository) is shown
    with its lone surrogate replaced and its deep nesting cut, instead of a 500 on every read."""
    with in_process(db_url) as api:
        with api.db.read() as conn:
            org = keys.org_for_key(conn, api.key)
        assert org is not None
        deep: Any = "x"
        for _ in range(300):
            deep = [deep]
        with api.db.write() as conn:
            campaigns_repo.create(conn, org, "legacy", "rank", {"forbidden": [["\ud800", "x"]]})
            campaigns_repo.create(
                conn, org, "deep", "rank", {"quotas": [{"attribute": "a", "value": deep, "max": 1}]}
            )
        listed = api.get("/campaigns")
        assert listed.status_code == 200, listed.text
        by_name = {c["name"]: c for c in listed.json()}
        assert by_name["legacy"]["options"] == {"forbidden": [["\ufffd", "x"]]}
        assert api.get(f"/campaigns/{by_name['deep']['id']}").status_code == 200


def test_deep_or_invalid_unicode_json_bodies_answer_4xx_and_store_nothing(db_url: str) -> None:
    with in_process(db_url) as api:
        cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
        bodies = {
            "upload nested 5000 deep": "[" * 5000 + "]" * 5000,
            "upload nested 70 deep in a row": '[{"opportunity_id": "a", "capacity": %s}]'
            % ("[" * 70 + "]" * 70),
            "upload with a lone surrogate": '[{"opportunity_id": "\\ud800", "capacity": 1}]',
            "upload with a lone low surrogate": '[{"opportunity_id": "\\uDC00x", "capacity": 1}]',
        }
        for label, text in bodies.items():
            for path in (f"/campaigns/{cid}/opportunities", f"/campaigns/{cid}/preferences"):
                _refused(api.post(path, content=text.encode(), headers=JSON))
                _refused(api.post(path, content=text.encode()))  # no content type: read as JSON too
            assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0, label
        surrogate_name = api.post("/campaigns", content=b'{"name": "\\ud800"}', headers=JSON)
        assert _refused(surrogate_name)["code"] == "INVALID_JSON"
        deep_event = api.post(
            "/feedback", content=('{"event_id": %s}' % ("[" * 5000 + "]" * 5000)).encode(), headers=JSON
        )
        assert _refused(deep_event)["code"] == "INVALID_JSON"
        opportunity = api.post(
            "/opportunities",
            content=b'{"opportunity_id": "o", "capacity": 1, "title": "\\ud83d"}',
            headers=JSON,
        )
        assert _refused(opportunity)["code"] == "INVALID_JSON"
        pair = api.post(  # a valid surrogate pair is an ordinary character
            "/opportunities",
            content=b'{"opportunity_id": "o", "capacity": 1, "title": "\\ud83d\\ude00"}',
            headers=JSON,
        )
        assert pair.status_code == 201 and pair.json()["title"] == "\U0001f600"
        assert [c["name"] for c in api.get("/campaigns").json()] == ["c"]
        assert [o["opportunity_id"] for o in api.get("/opportunities").json()] == ["o"]


def test_malformed_json_names_line_and_column_and_plain_text_is_415(api: Api) -> None:
    broken = api.post("/opportunities", content=b'{\n  "opportunity_id": "o",\n  capacity: 1}', headers=JSON)
    body = _refused(broken)
    assert broken.status_code == 422 and body["code"] == "INVALID_JSON" and body["field"] is None
    assert "line 3, column 3" in body["message"], body
    cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
    upload = _refused(
        api.post(f"/campaigns/{cid}/opportunities", content=b'[{"a": 1},\n {"b" 2}]', headers=JSON)
    )
    assert "line 2, column 7" in upload["message"], upload
    plain = api.post(
        "/opportunities",
        content=b'{"opportunity_id": "o", "capacity": 1}',
        headers={"content-type": "text/plain"},
    )
    assert plain.status_code == 415 and _refused(plain)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert api.get("/opportunities").json() == []


def test_time_limit_is_bounded_by_a_setting(db_url: str) -> None:
    with in_process(db_url, max_time_limit=30) as api:
        for options in ({"time_limit": 1e308}, {"time_limit": 31}):
            refused = api.post("/campaigns", json={"name": "c", "options": options})
            assert refused.status_code == 422 and _refused(refused)["field"] == "time_limit", refused.text
        cid = api.post("/campaigns", json={"name": "c", "options": {"time_limit": 30}}).json()["id"]
        put = api.put(f"/campaigns/{cid}/options", json={"options": {"time_limit": 1e308}})
        assert put.status_code == 422 and _refused(put)["field"] == "time_limit"
        web = Web(api.client, api.key, api.db)
        form = web.client.post(
            f"/ui/campaigns/{cid}/options",
            data={"csrf_token": web.sign_in(), "strategy": "auto", "objective": "sum", "time_limit": "1e308"},
        )
        # The dashboard answers by post/redirect/get: the campaign page with the error shown.
        assert form.history and form.history[0].status_code == 303
        assert 'role="alert"' in form.text and "time_limit" in form.text
        assert api.get(f"/campaigns/{cid}").json()["options"] == {"time_limit": 30.0}
        # A campaign stored before the bound (straight through the repository) runs with the bound.
        ready = campaign(api, OPPS, REGS)
        with api.db.write() as conn:
            org = keys.org_for_key(conn, api.key)
            assert org is not None
            campaigns_repo.set_options(conn, org, ready, {"time_limit": 1e9})
        run_id = api.post(f"/campaigns/{ready}/allocate").json()["run_id"]
        with api.db.read() as conn:
            assert runs.get(conn, org, run_id).options["time_limit"] == 30


def test_a_feedback_event_far_in_the_future_is_refused(db_url: str) -> None:
    with in_process(db_url, feedback_clock_skew_seconds=120) as api:
        assert api.post("/opportunities", json={"opportunity_id": "o", "capacity": 1}).status_code == 201
        assert api.post("/participants", json={"participant_id": "p"}).status_code == 201
        now = datetime.now(UTC)

        def event(n: int, at: datetime | str) -> dict[str, str]:
            stamp = at if isinstance(at, str) else at.isoformat()
            return {
                "event_id": f"e{n}",
                "participant_id": "p",
                "opportunity_id": "o",
                "action": "accepted",
                "at": stamp,
            }

        far = api.post("/feedback", json=event(1, "2999-01-01T00:00:00Z"))
        assert far.status_code == 422 and _refused(far)["field"] == "at", far.text
        ahead = api.post("/feedback", json=event(2, now + timedelta(minutes=10)))
        assert ahead.status_code == 422 and _refused(ahead)["field"] == "at"
        batch = api.post(
            "/feedback/batch", json={"events": [event(3, now), event(4, "2999-01-01T00:00:00Z")]}
        )
        assert batch.status_code == 422 and (_refused(batch)["field"], batch.json()["row"]) == ("at", 2)
        assert api.get("/opportunities/o").json()["demand"] == 0.0  # nothing stored, the batch neither
        skewed = api.post("/feedback", json=event(5, now + timedelta(seconds=60)))  # within the skew
        assert skewed.status_code == 200, skewed.text


def test_a_wrong_method_answers_405_listing_every_method_of_the_path(api: Api) -> None:
    """``Allow`` named only the first route of the path (``GET`` for ``/campaigns/1``)."""
    for method, path, allowed in (
        ("OPTIONS", "/campaigns/1", "DELETE, GET"),
        ("PUT", "/campaigns", "GET, POST"),
        ("POST", "/opportunities/x", "DELETE, GET, PATCH"),
    ):
        answer = api.request(method, path)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (path, answer.headers)
        assert _refused(answer)["code"] == "METHOD_NOT_ALLOWED"


def test_unknown_or_repeated_query_parameters_and_lax_types_are_refused(api: Api) -> None:
    """A misspelt ``?limt=`` used to be ignored (every row answered); ``?limit=5&limit=50`` kept
    the last; ``"capacity": true`` was stored as 1 and ``"start": 0`` as 1970."""
    typo = api.get("/campaigns", params={"limt": 10})
    assert typo.status_code == 422 and typo.json()["field"] == "limt"
    assert typo.json()["code"] == "VALIDATION_ERROR" and "limit" in typo.json()["message"]
    twice = api.get("/campaigns?limit=5&limit=50")
    assert twice.status_code == 422 and twice.json()["field"] == "limit"
    assert api.get("/campaigns", params={"limit": 5}).status_code == 200
    for body in ({"capacity": True}, {"capacity": 2, "start": 0, "end": "2030-01-01T10:00:00Z"}):
        answer = api.post("/opportunities", json={"opportunity_id": "o", **body})
        assert answer.status_code == 422, answer.text
    assert api.get("/opportunities").json() == []
