"""Request and response bodies; field names follow the vocabulary of ARCHITECTURE §1."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from flok.app.fields import MAX_ROW_ID, CampaignName, Ident
from flok.app.matching import REBALANCE_MIN_SCORE, REBALANCE_TOP_K
from flok.app.schedule import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES
from flok.pulse import ACTIONS
from flok.service.options_schema import options_schema
from flok.windows import END_BEFORE_START, is_backwards

Lat = Annotated[float, Field(ge=-90, le=90, strict=True)]
Lon = Annotated[float, Field(ge=-180, le=180, strict=True)]
Tag = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]
Title = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null_type", "may be left out but not null")
    return value


def _json_number(value: Any) -> Any:
    """A JSON number (``3`` or ``3.0``, which JSON Schema counts as an integer), not ``true`` or
    ``"3"``, which pydantic's lax mode would turn into 1 and 3 though the document refuses them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("number_type", "must be a number")
    return value


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError(
            "datetime_type",
            "give a date and time as ISO 8601 text with its offset, e.g. 2026-05-01T18:00+02:00",
        )
    return value


# A time as the document says it is sent: ISO 8601 text (pydantic would also take a number as
# seconds since 1970, which the document does not offer and no user means).
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


# For PATCH bodies: a field may be left out, but an explicit null would blank a required column
# (so the OpenAPI document does not offer null for it: ``SkipJsonSchema[None]``).
NotNull = BeforeValidator(_not_null)
JSON_NUMBER = BeforeValidator(_json_number)
"""For an ``int`` field of a request: a JSON number, never a boolean or text."""

# true or false as JSON writes them (pydantic's lax mode would also take 0, 1, "yes" and "off").
Flag = Annotated[bool, Field(strict=True)]
Capacity = Annotated[int, Field(ge=0, le=1_000_000), JSON_NUMBER]
Tags = Annotated[list[Tag], Field(max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- campaigns ------------------------------------------------------------------------------
class CampaignIn(Strict):
    name: CampaignName
    mode: Literal["rank", "score"] = "rank"
    options: dict[str, Any] = Field(default_factory=dict, json_schema_extra=options_schema())


class OptionsIn(Strict):
    options: dict[str, Any] = Field(json_schema_extra=options_schema())


class CampaignOut(BaseModel):
    id: int
    name: str
    mode: str
    status: Literal["draft", "open", "closed", "allocated", "finalized"]
    options: dict[str, Any]
    allocation_run_id: int | None
    created_at: datetime
    updated_at: datetime
    opportunities: int
    preferences: int
    registrations: int = Field(description="Deprecated: the same count as ``preferences``.")
    participants: int
    assigned: int


class UploadOut(BaseModel):
    added: int


class ReplacedOut(BaseModel):
    """A replaced upload: how many rows the new file holds."""

    replaced: int


class ClearedOut(BaseModel):
    removed: int


class CampaignOpportunityOut(BaseModel):
    """One uploaded opportunity of a campaign; ``attributes`` holds every other uploaded column as text."""

    opportunity_id: str
    capacity: int
    title: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)


class IssueOut(BaseModel):
    """One problem in the user's terms: their row, their header, and what is wrong."""

    row: int
    header: str
    message: str


class PreviewOut(BaseModel):
    """What Flok understood of a file, before anything is stored (nothing is)."""

    kind: str
    source: str
    shape: str = Field(description="long, choices (Choice 1..N) or columns (one column per opportunity)")
    fields: dict[str, str] = Field(description="Flok field -> where it is read from (your headers, quoted)")
    ignored: list[str] = Field(description="your headers Flok leaves out")
    notes: list[str] = Field(description="what was detected: separator, encoding, repeated headers, shape")
    headers: list[str] = Field(description="your file's headers, as written")
    columns: list[str] = Field(description="the columns of the first records, as Flok reads them")
    rows: list[list[str]] = Field(description="the first records as Flok reads them")
    row_numbers: list[int] = Field(description="the line (or xlsx row) each of those records came from")
    counts: dict[str, int]
    issues: list[IssueOut]
    more_issues: int = Field(0, description="problems beyond the ones listed")
    preset: str | None = None


class PreferenceOut(BaseModel):
    """One preference (stored as a registration: pending until the campaign is finalized)."""

    participant_id: str
    opportunity_id: str
    rank: int | None = None
    score: float | None = None
    status: Literal["pending", "confirmed", "rejected"]


class AssignmentOut(BaseModel):
    participant_id: str
    opportunity_id: str | None
    rank: int | None = None
    score: float | None = None
    manual: bool


class AllocationOut(BaseModel):
    campaign_id: int
    status: str
    run_id: int | None
    assignments: list[AssignmentOut]
    total: int = Field(description="rows in the whole allocation (seats plus unassigned participants)")
    offset: int = Field(0, description="index of the first row returned")
    limit: int | None = Field(None, description="the page size asked for; null: every row")


class MoveIn(Strict):
    participant_id: Ident
    opportunity_id: Ident | None = Field(description="the new seat, or null to unseat")


# --- runs -----------------------------------------------------------------------------------
class RunOut(BaseModel):
    id: int
    kind: str
    campaign_id: int | None
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float | None
    message: str | None
    cancel_requested: bool
    report: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunStarted(BaseModel):
    run_id: int
    status: str


# --- community ------------------------------------------------------------------------------
class OpportunityIn(Strict):
    opportunity_id: Ident
    capacity: Capacity
    title: Title | None = None
    start: Instant | None = None
    end: Instant | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    tags: Tags = Field(default_factory=list)
    # An end before its start and half a coordinate pair are refused by
    # ``flok.app.fields.check_place_and_time``, for PATCH (on the changed record) as for POST.


class OpportunityPatch(Strict):
    capacity: Annotated[Capacity | SkipJsonSchema[None], NotNull] = None
    title: Title | None = None
    start: Instant | None = None
    end: Instant | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    tags: Annotated[Tags | SkipJsonSchema[None], NotNull] = None


class OpportunityOut(BaseModel):
    opportunity_id: str
    capacity: int
    title: str | None
    start: datetime | None
    end: datetime | None
    lat: float | None
    lon: float | None
    tags: list[str]
    confirmed: int
    seats_left: int
    demand: float = Field(description="stored decayed demand D at demand_at (its t_ref)")
    demand_at: datetime | None
    demand_now: float
    pulse: float | None = Field(description="of the demand now; null without seats (label Closed)")
    labels: list[str]


class Window(Strict):
    """A time window; ``{"start", "end"}`` or a ``[start, end]`` pair."""

    start: Instant
    end: Instant

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="after")
    def _order(self) -> Window:
        if is_backwards(self.start, self.end):
            raise ValueError(END_BEFORE_START)
        return self


Windows = Annotated[list[Window], Field(max_length=200)]


class ParticipantIn(Strict):
    participant_id: Ident
    interests: Tags = Field(default_factory=list)
    lat: Lat | None = None
    lon: Lon | None = None
    availability: Windows = Field(default_factory=list)
    first_timer: Flag = Field(False, description="new to the community (the inclusion metric compares them)")
    # Half a coordinate pair: ``flok.app.fields.check_place_and_time`` (POST and PATCH alike).


class ParticipantPatch(Strict):
    interests: Annotated[Tags | SkipJsonSchema[None], NotNull] = None
    lat: Lat | None = None
    lon: Lon | None = None
    availability: Annotated[Windows | SkipJsonSchema[None], NotNull] = None
    first_timer: Annotated[Flag | SkipJsonSchema[None], NotNull] = None


class ParticipantOut(BaseModel):
    participant_id: str
    interests: list[str]
    lat: float | None
    lon: float | None
    availability: list[dict[str, datetime]]
    first_timer: bool


Action = Literal[ACTIONS]  # type: ignore[valid-type]


class FeedbackIn(Strict):
    event_id: Ident
    participant_id: Ident
    opportunity_id: Ident
    action: Action
    at: Instant


class FeedbackOut(BaseModel):
    opportunity_id: str
    demand: float
    pulse: float | None = Field(description="of the demand now; null without seats")
    duplicate: bool = False


MAX_FEEDBACK_BATCH = 1000


class FeedbackBatchIn(Strict):
    events: list[FeedbackIn] = Field(min_length=1, max_length=MAX_FEEDBACK_BATCH)


class FeedbackBatchOut(BaseModel):
    results: list[FeedbackOut]


class RsvpIn(Strict):
    participant_id: Ident


class RsvpOut(BaseModel):
    opportunity_id: str
    participant_id: str
    status: Literal["confirmed", "cancelled"]
    confirmed: int
    seats_left: int


class FeedItemOut(BaseModel):
    opportunity_id: str
    title: str
    eligible: bool
    fit: float
    score: float | None
    pulse: float | None
    start: datetime | None
    labels: list[str]
    reasons: list[str]
    codes: list[str]
    why_not: list[str]
    suggested: bool


class FeedOut(BaseModel):
    participant_id: str
    suggestion: str | None
    items: list[FeedItemOut]


class TrendingItem(BaseModel):
    opportunity_id: str
    title: str | None
    demand_now: float
    pulse: float
    seats_left: int
    labels: list[str]


Weight = Annotated[float, Field(ge=0, le=1e6, strict=True)]
NoLocation = Literal["anywhere", "online_only"]


class FitWeightsIn(Strict):
    """Fit weights by component; one left out keeps its default (0.5 / 0.3 / 0.2)."""

    interest: Weight | None = None
    distance: Weight | None = None
    schedule: Weight | None = None


class RebalanceIn(Strict):
    top_k: Annotated[int, Field(ge=1, le=10_000), JSON_NUMBER] | None = REBALANCE_TOP_K
    min_score: Annotated[float, Field(ge=-1e6, le=1e6, strict=True)] = REBALANCE_MIN_SCORE
    weights: FitWeightsIn | None = None
    no_location: NoLocation | None = Field(
        default=None, description="participants without a location: anywhere (default) or online_only"
    )


class ScheduleIn(Strict):
    """The organization's periodic rebalance: on or off, and every how many minutes."""

    enabled: Flag
    interval_minutes: (
        Annotated[int, Field(ge=MIN_INTERVAL_MINUTES, le=MAX_INTERVAL_MINUTES), JSON_NUMBER] | None
    ) = Field(
        default=None, description="minutes between rebalances (default FLOK_REBALANCE_INTERVAL_MINUTES, 60)"
    )


class LastRunOut(BaseModel):
    run_id: int
    status: str
    created_at: datetime
    finished_at: datetime | None
    suggested: int | None = Field(description="seats the run suggested; null until it is done")
    matched_share: float | None = Field(description="share of participants with a seat or a suggestion")
    message: str | None


class ScheduleOut(BaseModel):
    enabled: bool
    interval_minutes: int
    next_due_at: datetime | None = Field(description="when the next scheduled rebalance is queued")
    last_run: LastRunOut | None


# --- paging (a list answers every item unless asked for a page: older clients keep working) -
Limit = Annotated[int | None, Query(ge=1, le=100_000, description="at most this many items; default: all")]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="skip this many items first")]
TOTAL_HEADER = {
    "X-Total-Count": {"description": "how many items there are in all", "schema": {"type": "integer"}}
}

# --- path parameters (bounded so no value can overflow a database column) -------------------
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
IdentPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
