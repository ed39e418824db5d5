"""The application layer's business rules, against real databases (SQLite, and PostgreSQL when one
answers). Only the run queue is replaced: a queue that holds runs keeps them "active" for as long
as a test needs, without timing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from flok.app import campaigns, community, feedback, keys, runs
from flok.app.settings import Settings
from flok.app.state import State
from flok.errors import ConflictError, FlokError, InputError, NotFoundError
from flok.service.errors import ApiError
from flok.store import keys as keys_repo
from flok.store.campaigns import split_options
from flok.store.db import Database
from flok.store.errors import Conflict, NotFound, StoreError
from flok.table import table_from_records
from flok.web.session import CsrfError, SignInRequired
from tests.service.conftest import pg_url  # noqa: F401  (fixture)

OPPS = [{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}]
PREFS = [
    {"participant_id": "p", "opportunity_id": "A", "rank": 1},
    {"participant_id": "q", "opportunity_id": "A", "rank": 1},
]


class HeldQueue:
    """A run queue that never executes: submitted runs stay queued (active)."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def start(self) -> None: ...

    def submit(self, run_id: int) -> None:
        self.submitted.append(run_id)

    def stop(self) -> None: ...


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[State]:
    sqlite = f"sqlite:///{tmp_path}/flok.db"
    url = sqlite if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))
    db = Database(url)
    db.migrate()
    yield State(settings=Settings(database_url=url), db=db, queue=HeldQueue())
    db.dispose()


def org(state: State) -> int:
    with state.db.write() as conn:
        return keys_repo.ensure_org(conn, f"org-{uuid.uuid4().hex[:8]}")


def closed_campaign(state: State, owner: int) -> int:
    cid = campaigns.create_campaign(state, owner, "c", "rank", {"strategy": "auto"}).campaign.id
    campaigns.upload_table(state, owner, cid, "opportunities", table_from_records(OPPS, "opportunities"))
    campaigns.upload_table(state, owner, cid, "preferences", table_from_records(PREFS, "preferences"))
    campaigns.open_campaign(state, owner, cid)
    campaigns.close_campaign(state, owner, cid)
    return cid


def test_start_run_refuses_a_second_run_while_one_is_active(state: State) -> None:
    owner = org(state)
    cid = closed_campaign(state, owner)
    first = campaigns.start_run(state, owner, cid)
    assert state.queue.submitted == [first]  # type: ignore[attr-defined]
    with pytest.raises(ConflictError) as refused:
        campaigns.start_run(state, owner, cid)
    assert refused.value.code == "RUN_ACTIVE"
    assert state.queue.submitted == [first]  # type: ignore[attr-defined]  # nothing queued twice
    assert runs.cancel_run(state, owner, first).status == "cancelled"
    second = campaigns.start_run(state, owner, cid)  # no longer active: allowed again
    assert second != first


def test_start_run_needs_a_closed_campaign(state: State) -> None:
    owner = org(state)
    cid = campaigns.create_campaign(state, owner, "draft", "rank", {}).campaign.id
    with pytest.raises(ConflictError) as refused:
        campaigns.start_run(state, owner, cid)
    assert refused.value.code == "WRONG_STATUS" and refused.value.field == "status"


def test_run_now_closes_preferences_first(state: State) -> None:
    owner = org(state)
    cid = campaigns.create_campaign(state, owner, "c", "rank", {}).campaign.id
    campaigns.upload_table(state, owner, cid, "opportunities", table_from_records(OPPS, "opportunities"))
    run_id = campaigns.run_now(state, owner, cid)
    assert campaigns.get_campaign(state, owner, cid).campaign.status == "closed"
    assert runs.latest_run(state, owner, campaign_id=cid) == runs.get_run(state, owner, run_id)


def test_delete_refuses_while_a_run_is_active(state: State) -> None:
    owner = org(state)
    cid = closed_campaign(state, owner)
    run_id = campaigns.start_run(state, owner, cid)
    with pytest.raises(ConflictError) as refused:
        campaigns.delete_campaign(state, owner, cid)
    assert refused.value.code == "RUN_ACTIVE"
    assert campaigns.get_campaign(state, owner, cid).counts.preferences == 2  # nothing deleted
    runs.cancel_run(state, owner, run_id)
    campaigns.delete_campaign(state, owner, cid)
    with pytest.raises(NotFoundError):
        campaigns.get_campaign(state, owner, cid)


def test_another_organization_sees_nothing(state: State) -> None:
    owner, other = org(state), org(state)
    cid = closed_campaign(state, owner)
    run_id = campaigns.start_run(state, owner, cid)
    for attempt in (
        lambda: campaigns.get_campaign(state, other, cid),
        lambda: campaigns.start_run(state, other, cid),
        lambda: campaigns.delete_campaign(state, other, cid),
        lambda: campaigns.move_seat(state, other, cid, "p", "B"),
        lambda: campaigns.list_preferences(state, other, cid),
        lambda: runs.get_run(state, other, run_id),
        lambda: runs.cancel_run(state, other, run_id),
    ):
        with pytest.raises(NotFoundError) as hidden:
            attempt()
        assert hidden.value.code == "NOT_FOUND"
    assert campaigns.list_campaigns(state, other) == []
    assert runs.get_run(state, owner, run_id).status == "queued"  # the other's cancel did nothing


def test_uploads_refuse_nul_characters_on_every_database(state: State) -> None:
    owner = org(state)
    cid = campaigns.create_campaign(state, owner, "c", "rank", {}).campaign.id
    bad = table_from_records([{"opportunity_id": "A", "capacity": 1, "title": "x\x00"}], "opportunities")
    with pytest.raises(InputError) as refused:
        campaigns.upload_table(state, owner, cid, "opportunities", bad)
    assert refused.value.field == "title" and "NUL" in refused.value.message
    assert campaigns.get_campaign(state, owner, cid).counts.opportunities == 0


def test_a_feedback_batch_is_all_or_nothing(state: State) -> None:
    owner = org(state)
    community.create_opportunity(state, owner, {"opportunity_id": "club", "capacity": 2, "tags": []})
    community.create_participant(state, owner, {"participant_id": "ana", "interests": [], "availability": []})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    good = feedback.FeedbackIn("e1", "ana", "club", "accepted", at)
    bad = feedback.FeedbackIn("e2", "ana", "nope", "accepted", at)
    with pytest.raises(NotFoundError) as refused:
        feedback.record_batch(state, owner, [good, bad])
    assert refused.value.row == 2 and refused.value.field == "opportunity_id"
    assert community.get_opportunity(state, owner, "club").demand == 0.0  # the good one rolled back
    [answer] = feedback.record_batch(state, owner, [good])
    assert answer.demand > 0 and not answer.duplicate
    assert feedback.record_batch(state, owner, [good])[0].duplicate


def test_rsvp_never_overfills(state: State) -> None:
    owner = org(state)
    community.create_opportunity(state, owner, {"opportunity_id": "club", "capacity": 1, "tags": []})
    for who in ("ana", "ben"):
        community.create_participant(
            state, owner, {"participant_id": who, "interests": [], "availability": []}
        )
    assert community.rsvp(state, owner, "club", "ana").created
    assert not community.rsvp(state, owner, "club", "ana").created  # repeating is harmless
    with pytest.raises(ConflictError) as full:
        community.rsvp(state, owner, "club", "ben")
    assert full.value.code == "FULL"
    assert community.cancel_rsvp(state, owner, "club", "ana").seats_left == 1


def test_keys_create_list_revoke(state: State) -> None:
    name = f"keys-{uuid.uuid4().hex[:8]}"
    key = keys.create_key(state.db, name)
    [row] = keys.list_keys(state.db, name)
    assert key.split("_")[1] == row.prefix and not row.revoked
    key_id = keys.key_id_for(state, key)
    assert key_id is not None
    owner = keys.key_owner(state, key_id)
    assert owner is not None and owner.org_name == name
    assert keys.revoke_key(state.db, row.prefix) == row.prefix
    assert keys.key_owner(state, key_id) is None  # revoked: sessions signed in with it end
    with pytest.raises(NotFoundError):
        keys.revoke_key(state.db, "no-such-prefix")
    with pytest.raises(InputError):
        keys.create_key(state.db, "  ")


def test_one_error_root() -> None:
    """Every error Flok raises on purpose is a FlokError with a stable code."""
    assert issubclass(StoreError, FlokError) and issubclass(ApiError, FlokError)
    assert issubclass(CsrfError, FlokError) and issubclass(SignInRequired, FlokError)
    assert NotFound("campaign", 7).code == "NOT_FOUND" and isinstance(NotFound("x", 1), NotFoundError)
    assert Conflict("full", code="FULL").code == "FULL" and issubclass(Conflict, ConflictError)
    assert ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "no").status == 415
    assert CsrfError().code == "CSRF"


def test_options_are_stored_validated_normalised_and_encodable(state: State) -> None:
    """Every entry stores options in the engine's parsed form written back as JSON, after
    checking they encode: a lone surrogate is refused naming its key, before any write."""
    owner = org(state)
    for options, field in (
        ({"forbidden": [["\ud800", "x"]]}, "forbidden"),
        ({"category_limit": {"\udc00": 1}}, "category_limit"),
        ({"time_limit": 1e308}, "time_limit"),
    ):
        with pytest.raises(InputError) as refused:
            campaigns.create_campaign(state, owner, "c", "rank", options)
        assert refused.value.field == field, refused.value
    assert campaigns.list_campaigns(state, owner) == []
    given = {
        "strategy": "auto",
        "forbidden": [{"participant_id": " p ", "opportunity_id": "A"}],
        "quotas": [{"attribute": "Cohort", "value": 1, "max": 1}],
        "category_limit": {"lab": 1},
        "time_limit": 5,
    }
    stored = campaigns.create_campaign(state, owner, "c", "rank", given).campaign.options
    assert stored == {
        "strategy": "auto",
        "forbidden": [["p", "A"]],
        "quotas": [{"attribute": "cohort", "value": "1", "max": 1}],
        "category_limit": {"lab": 1},
        "time_limit": 5.0,
    }
    assert split_options(stored) == split_options(given)  # the same allocation rules
    cid = campaigns.list_campaigns(state, owner)[0].campaign.id
    with pytest.raises(InputError):
        campaigns.set_options(state, owner, cid, {"forced": [["\ud83d", "A"]]})
    assert campaigns.get_campaign(state, owner, cid).campaign.options == stored
