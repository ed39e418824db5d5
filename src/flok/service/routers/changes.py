"""After the allocation: changes, re-solve drafts, commit/discard, versions, diffs, rollback,
undoing finalize and the allocation's honest label. Each endpoint is one ``flok.app.changes``
use case; refusals are JSON ``{code, message, field, row}`` like everywhere else."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from flok.app import changes as app
from flok.app.fields import MAX_ROW_ID, Ident
from flok.app.seat_diff import SeatDiff, Totals
from flok.errors import InputError
from flok.resolve import STABILITIES
from flok.service.deps import ActorDep, OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.routers.campaigns import _out as campaign_out
from flok.service.schemas import JSON_NUMBER, CampaignOut, Capacity, RowId, RunStarted, Strict
from flok.store.versions import ChangeRow, VersionRow
from flok.table import table_from_records

router = APIRouter(prefix="/campaigns", tags=["after the allocation"], responses=ERROR_RESPONSES)

Reason = Annotated[str, Field(max_length=app.MAX_REASON, description="why (kept in the history)")]
Version = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


class ChangeIn(Strict):
    """One change; which fields it takes depends on ``kind`` (flat, so an error names the field):
    ``add``: ``preferences`` (rows as in preferences.csv, every participant new); ``withdraw``:
    ``participant_ids``; ``capacity``: ``opportunity_id`` and ``capacity``; ``cancel``:
    ``opportunity_id`` (capacity 0)."""

    kind: Literal["add", "withdraw", "capacity", "cancel"]
    preferences: list[dict[str, Any]] | None = Field(None, max_length=100_000)
    participant_ids: list[Ident] | None = Field(None, max_length=10_000)
    opportunity_id: Ident | None = None
    capacity: Capacity | None = None
    reason: Reason = ""


NEEDS = {
    "add": ("preferences",),
    "withdraw": ("participant_ids",),
    "capacity": ("opportunity_id", "capacity"),
    "cancel": ("opportunity_id",),
}


def _needs(body: ChangeIn) -> None:
    for name in NEEDS[body.kind]:
        if getattr(body, name) in (None, []):
            raise InputError(f"a change of kind '{body.kind}' needs {name}", field=name)


class ChangeOut(BaseModel):
    id: int
    kind: str
    detail: dict[str, Any]
    version: int | None
    actor: str
    reason: str
    created_at: datetime


class ResolveIn(Strict):
    stability: Literal["strict", "balanced", "free"] = "strict"
    move_cost: float = Field(
        1.0, ge=0, le=1e6, strict=True, description="stability=balanced: rank steps one move costs"
    )
    reason: Reason = ""


class MoveDraftIn(Strict):
    participant_id: Ident
    opportunity_id: Ident | None = Field(description="the new seat, or null to unseat")
    reason: Reason = ""


class RollbackIn(Strict):
    version: Annotated[int, Field(ge=1, le=MAX_ROW_ID), JSON_NUMBER]
    reason: Reason = ""


class ReasonIn(Strict):
    reason: Reason = ""


class VersionOut(BaseModel):
    number: int | None = Field(description="null while a draft")
    state: Literal["draft", "committed", "discarded"]
    kind: str
    run_id: int | None
    base_version: int | None = Field(description="a draft: the version it was computed from")
    label: str
    seats: int
    actor: str
    reason: str
    created_at: datetime


class PersonOut(BaseModel):
    participant_id: str
    before: list[str]
    after: list[str]
    change: Literal["moved", "seated", "unseated"]
    value_before: float | None = Field(description="rank (or score) before; null: no seat or unlisted")
    value_after: float | None
    value_change: float | None
    why: str


class TotalsOut(BaseModel):
    seated: int
    seats: int
    total: float = Field(description="total rank (or score) of the listed seats")
    unlisted: int
    worst: float | None = Field(description="worst rank (score mode: lowest score) of a seat")
    first_choice: int


class DiffOut(BaseModel):
    counts: dict[str, int]
    unchanged: int
    before: TotalsOut
    after: TotalsOut
    people: list[PersonOut]


class DraftOut(BaseModel):
    run_id: int
    version: VersionOut
    stale: bool = Field(description="the allocation changed since: commit would answer 409 STALE_DRAFT")
    diff: DiffOut


class LabelOut(BaseModel):
    text: str
    optimal: bool
    version: int | None
    objective: float = Field(
        description="recomputed from the seats: total rank (or score) of the listed seats"
    )
    unlisted: int
    seats: int


def _change(c: ChangeRow) -> ChangeOut:
    return ChangeOut(
        id=c.id,
        kind=c.kind,
        detail=c.detail,
        version=c.version,
        actor=c.actor,
        reason=c.reason,
        created_at=c.created_at,
    )


def _version(v: VersionRow) -> VersionOut:
    from flok.app.versioning import label_text

    text = label_text(v.label) if v.state == "committed" else f"draft ({v.kind})"
    return VersionOut(
        number=v.number,
        state=v.state,  # type: ignore[arg-type]
        kind=v.kind,
        run_id=v.run_id,
        base_version=v.base_number,
        label=text,
        seats=len(v.seats),
        actor=v.actor,
        reason=v.reason,
        created_at=v.created_at,
    )


def _totals(t: Totals) -> TotalsOut:
    return TotalsOut(**t.__dict__)


def _diff(d: SeatDiff) -> DiffOut:
    return DiffOut(
        counts=d.counts,
        unchanged=d.unchanged,
        before=_totals(d.before),
        after=_totals(d.after),
        people=[
            PersonOut(
                participant_id=p.participant_id,
                before=list(p.before),
                after=list(p.after),
                change=p.change,
                value_before=p.value_before,
                value_after=p.value_after,
                value_change=p.value_change,
                why=p.why,
            )
            for p in d.people
        ],
    )


@router.post("/{campaign_id}/changes", status_code=201)
def record_change(
    campaign_id: RowId, body: ChangeIn, org: OrgDep, actor: ActorDep, state: StateDep
) -> ChangeOut:
    """A change after the allocation (allocated or finalized): ``add`` late participants with their
    preferences, ``withdraw`` participants (their seats free up), set a ``capacity`` or ``cancel``
    an opportunity. Recorded with who, when and why; the allocation is re-solved separately."""
    _needs(body)
    if body.kind == "add":
        table = table_from_records(body.preferences, "preferences")
        done = app.add_late(state, org, campaign_id, table, actor=actor, reason=body.reason)
    elif body.kind == "withdraw":
        ids = body.participant_ids or []
        done = app.withdraw(state, org, campaign_id, ids, actor=actor, reason=body.reason)
    else:
        done = app.set_capacity(
            state,
            org,
            campaign_id,
            str(body.opportunity_id),
            body.capacity or 0,
            actor=actor,
            reason=body.reason,
            cancel=body.kind == "cancel",
        )
    return _change(done.change)


@router.get("/{campaign_id}/changes")
def list_changes(campaign_id: RowId, org: OrgDep, state: StateDep) -> list[ChangeOut]:
    """Every recorded change, newest first (the latest 200)."""
    return [_change(c) for c in app.list_changes(state, org, campaign_id)]


@router.post("/{campaign_id}/resolve", status_code=202)
def resolve(campaign_id: RowId, body: ResolveIn, org: OrgDep, actor: ActorDep, state: StateDep) -> RunStarted:
    """Queue a re-solve from the current allocation and the recorded changes; it stores a draft.
    Poll ``GET /runs/{run_id}``, then ``GET …/runs/{run_id}/diff`` and commit or discard it."""
    run_id = app.start_resolve(
        state,
        org,
        campaign_id,
        stability=body.stability,
        move_cost=body.move_cost,
        actor=actor,
        reason=body.reason,
    )
    return RunStarted(run_id=run_id, status="queued")


def _draft_out(state: Any, org: int, campaign_id: int, run_id: int) -> DraftOut:
    found = app.draft_diff(state, org, campaign_id, run_id)
    return DraftOut(run_id=run_id, version=_version(found.version), stale=found.stale, diff=_diff(found.diff))


@router.post("/{campaign_id}/moves", status_code=201)
def propose_move(
    campaign_id: RowId, body: MoveDraftIn, org: OrgDep, actor: ActorDep, state: StateDep
) -> DraftOut:
    """A manual move as a draft with its diff; nothing changes until it is committed."""
    run_id = app.propose_move(
        state, org, campaign_id, body.participant_id, body.opportunity_id, actor=actor, reason=body.reason
    )
    return _draft_out(state, org, campaign_id, run_id)


@router.get("/{campaign_id}/runs/{run_id}/diff")
def draft_diff(campaign_id: RowId, run_id: RowId, org: OrgDep, state: StateDep) -> DraftOut:
    """A draft (or what became of it) against the version it was computed from."""
    return _draft_out(state, org, campaign_id, run_id)


@router.post("/{campaign_id}/runs/{run_id}/commit")
def commit(campaign_id: RowId, run_id: RowId, org: OrgDep, actor: ActorDep, state: StateDep) -> VersionOut:
    """The draft becomes the allocation, as the next version (409 ``STALE_DRAFT`` when the
    allocation changed since it was computed, ``DRAFT_CLOSED`` when committed or discarded)."""
    return _version(app.commit(state, org, campaign_id, run_id, actor=actor))


@router.post("/{campaign_id}/runs/{run_id}/discard")
def discard(campaign_id: RowId, run_id: RowId, org: OrgDep, actor: ActorDep, state: StateDep) -> VersionOut:
    return _version(app.discard(state, org, campaign_id, run_id, actor=actor))


@router.get("/{campaign_id}/versions")
def list_versions(campaign_id: RowId, org: OrgDep, state: StateDep) -> list[VersionOut]:
    """Committed versions of the allocation, newest first."""
    return [_version(v) for v in app.list_versions(state, org, campaign_id)]


@router.get("/{campaign_id}/versions/{a}/diff/{b}")
def version_diff(campaign_id: RowId, a: Version, b: Version, org: OrgDep, state: StateDep) -> DiffOut:
    """From version ``a`` to version ``b``, person by person, with totals."""
    return _diff(app.version_diff(state, org, campaign_id, a, b))


@router.post("/{campaign_id}/rollback")
def rollback(
    campaign_id: RowId, body: RollbackIn, org: OrgDep, actor: ActorDep, state: StateDep
) -> VersionOut:
    """Make an earlier version current again, as a new version (nothing is deleted)."""
    return _version(app.rollback(state, org, campaign_id, body.version, actor=actor, reason=body.reason))


@router.post("/{campaign_id}/unfinalize")
def unfinalize(
    campaign_id: RowId, org: OrgDep, actor: ActorDep, state: StateDep, body: ReasonIn | None = None
) -> CampaignOut:
    """Undo finalize (registrations pending again), allowed until the first change after it
    (409 ``FINALIZE_FIXED`` later)."""
    app.undo_finalize(state, org, campaign_id, actor=actor, reason=body.reason if body else "")
    from flok.app import campaigns

    return campaign_out(campaigns.get_campaign(state, org, campaign_id))


@router.get("/{campaign_id}/label")
def label(campaign_id: RowId, org: OrgDep, state: StateDep, response: Response) -> LabelOut | None:
    """What the current allocation is (optimal, re-solved, edited by hand) with its objective
    recomputed from the seats; null before the first version."""
    found = app.current_label(state, org, campaign_id)
    return None if found is None else LabelOut(**found.__dict__)


assert set(STABILITIES) == {"strict", "balanced", "free"}
