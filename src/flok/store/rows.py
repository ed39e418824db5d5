"""Typed rows the repositories return: frozen dataclasses, read by attribute, never by string key.

Each ``of(mapping)`` builds a row from a SQLAlchemy result mapping with exactly its fields, so a
renamed column fails loudly here instead of as a ``KeyError`` in a router or a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Self

from sqlalchemy import RowMapping


class _Row:
    @classmethod
    def of(cls, mapping: Mapping[str, Any] | RowMapping) -> Self:
        return cls(**{f.name: mapping[f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class CampaignRow(_Row):
    id: int
    org_id: int
    name: str
    mode: str
    status: str
    options: dict[str, Any]
    allocation_run_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CampaignCounts:
    """How much a campaign holds: opportunities, preferences, distinct participants, seats given."""

    opportunities: int
    preferences: int
    participants: int
    assigned: int


@dataclass(frozen=True)
class CampaignOpportunityRow(_Row):
    """An opportunity of a campaign; ``attributes`` holds every other uploaded column as text."""

    opportunity_id: str
    capacity: int
    title: str | None
    attributes: dict[str, str] | None


@dataclass(frozen=True)
class PreferenceRow(_Row):
    """One participant's rank (or score) for one opportunity of a campaign, and its outcome."""

    participant_id: str
    opportunity_id: str
    rank: int | None
    score: float | None
    status: str


@dataclass(frozen=True)
class SeatRow:
    """A participant's seat in a campaign's allocation (``opportunity_id`` None: unassigned)."""

    participant_id: str
    opportunity_id: str | None
    rank: int | None
    score: float | None
    manual: bool


@dataclass(frozen=True)
class WaitingRun:
    """A queued run as the fair scheduler sees it: whose it is, how old, and how many runs its
    organization has ``running`` right now (on every server and worker sharing the database)."""

    id: int
    org_id: int
    created_at: datetime
    org_running: int


@dataclass(frozen=True)
class RunRow(_Row):
    id: int
    org_id: int
    kind: str
    campaign_id: int | None
    status: str
    progress: float | None
    message: str | None
    cancel_requested: bool
    options: dict[str, Any]
    report: dict[str, Any] | None
    error: dict[str, Any] | None
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None


@dataclass(frozen=True)
class OpportunityRow(_Row):
    """A community opportunity with its stored demand ``(demand, t_ref)`` and confirmed seats."""

    id: int
    org_id: int
    opportunity_id: str
    capacity: int
    title: str | None
    start: datetime | None
    end: datetime | None
    lat: float | None
    lon: float | None
    tags: list[str]
    demand: float
    t_ref: float | None
    confirmed: int
    created_at: datetime


@dataclass(frozen=True)
class ParticipantRow(_Row):
    id: int
    org_id: int
    participant_id: str
    interests: list[str]
    lat: float | None
    lon: float | None
    availability: list[dict[str, str]]
    created_at: datetime
    first_timer: bool = False


@dataclass(frozen=True)
class KeyRow(_Row):
    """An API key's non-secret part."""

    prefix: str
    organization: str
    created_at: datetime
    revoked: bool


@dataclass(frozen=True)
class FinalizePreview:
    """What finalizing a campaign would do: registrations confirmed and rejected, seats without a
    registration confirmed as new ones, and participants left without any seat."""

    confirm: int
    confirm_unlisted: int
    reject: int
    without_seat: int


@dataclass(frozen=True)
class KeyOwner:
    """The organization behind a valid (not revoked) key row."""

    key_id: int
    org_id: int
    org_name: str


@dataclass(frozen=True)
class FormationRow:
    """An organization's last circle formation: the page's JSON view and its CSV downloads."""

    source: str
    view: dict[str, Any]
    csv: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class SeatLine(_Row):
    """One seat of a campaign's allocation as its results table shows it: the opportunity's title,
    the participant's rank or score for it (None: unlisted) and whether it was moved by hand."""

    participant_id: str
    opportunity_id: str
    title: str | None
    rank: int | None
    score: float | None
    manual: bool


@dataclass(frozen=True)
class FillLine(_Row):
    """One opportunity of a campaign: its seats, the seats given, and how many listed it."""

    opportunity_id: str
    title: str | None
    capacity: int
    assigned: int
    demand: int
