"""The schema, as SQLAlchemy Core tables: every row that belongs to a customer carries ``org_id``.

Community demand is stored as ``(demand, t_ref)`` per opportunity (ARCHITECTURE §5) with
``t_ref`` in epoch seconds, so the decay arithmetic is exact and zone-free.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from flok.store.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 200  # longest external id a client may use


def _org() -> Column[int]:
    return Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)


organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(ID), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Bumped with every change to the organization's community opportunities (see market.Catalogs).
    Column("catalog_version", Integer, nullable=False, server_default="0", default=0),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

# Dashboard sign-ins: the cookie names a row here (by the hash of its random id), so sign-out
# and key revocation end a session at once, whatever copies of the cookie exist.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("key_id", Integer, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_web_sessions_expires", "expires_at"),
)

# --- campaigns (seat allocation) ------------------------------------------------------------
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("name", String(ID), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("options", JSON, nullable=False),
    Column("allocation_run_id", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Bumped by every change to what a run reads (opportunities, registrations, participants),
    # so a run that read an older revision cannot store its result (migration 0006).
    Column("inputs_revision", Integer, nullable=False, server_default="0", default=0),
    Index("ix_campaigns_org", "org_id", "id"),
)

campaign_opportunities = Table(
    "campaign_opportunities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("opportunity_id", String(ID), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("title", Text, nullable=True),
    # Every other uploaded column (category, min_size, start, …) as text, for the engine's reader.
    Column("attributes", JSON, nullable=True),
    UniqueConstraint("campaign_id", "opportunity_id"),
)

campaign_participants = Table(
    "campaign_participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("attributes", JSON, nullable=False),
    UniqueConstraint("campaign_id", "participant_id"),
)

# Preferences (rank or score), and after finalizing their outcome (confirmed / rejected). The
# database table keeps its historical name "registrations" (renaming it would need a migration).
preferences = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("opportunity_id", String(ID), nullable=False),
    Column("rank", Integer, nullable=True),
    Column("score", Float, nullable=True),
    Column("status", String(16), nullable=False),
    UniqueConstraint("campaign_id", "participant_id", "opportunity_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("opportunity_id", String(ID), nullable=False),
    Column("manual", Boolean, nullable=False, default=False),
    UniqueConstraint("campaign_id", "participant_id", "opportunity_id"),
)

# --- background runs ------------------------------------------------------------------------
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("kind", String(16), nullable=False),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True),
    Column("status", String(16), nullable=False),
    Column("progress", Float, nullable=True),
    Column("message", Text, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("options", JSON, nullable=False),
    Column("report", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("worker", String(ID), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("heartbeat_at", UtcDateTime, nullable=True),
    Index("ix_runs_status", "status"),
)

# --- community matching ---------------------------------------------------------------------
opportunities = Table(
    "opportunities",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("opportunity_id", String(ID), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("title", Text, nullable=True),
    Column("start", UtcDateTime, nullable=True),
    Column("end", UtcDateTime, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("tags", JSON, nullable=False),
    Column("demand", Float, nullable=False, default=0.0),
    Column("t_ref", Float, nullable=True),
    Column("confirmed", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("org_id", "opportunity_id"),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("participant_id", String(ID), nullable=False),
    Column("interests", JSON, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("availability", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # New to the community: the inclusion metric compares their match rate with everyone's (0012).
    Column("first_timer", Boolean, nullable=False, server_default=false(), default=False),
    UniqueConstraint("org_id", "participant_id"),
)

feedback_events = Table(
    "feedback_events",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("event_id", String(ID), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("opportunity", Integer, ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(16), nullable=False),
    Column("weight", Float, nullable=False),
    Column("at", Float, nullable=False),
    UniqueConstraint("org_id", "event_id"),
)

rsvps = Table(
    "rsvps",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("opportunity", Integer, ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("opportunity", "participant_id"),
)

# Seats given back without their participant asking: the participant was deleted (migration
# 0008). Ids are kept as text, so the record outlives the opportunity and the participant.
rsvp_cancellations = Table(
    "rsvp_cancellations",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("opportunity_id", String(ID), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=False),
    Index("ix_rsvp_cancellations_participant", "org_id", "participant_id"),
)

# Every RSVP attempt and its outcome (a seat, or refused because the opportunity was full): the
# oversubscription rate is refused ÷ attempts (migration 0009). Ids are kept as text, not row
# references, so the record outlives a deleted opportunity or participant, as a log should.
rsvp_attempts = Table(
    "rsvp_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("opportunity_id", String(ID), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("refused", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_rsvp_attempts_org_id", "org_id"),
)

# Each organization's periodic rebalance (migration 0012). A worker that finds ``next_due_at``
# passed moves it on by the interval with a compare-and-set on the value it read, and only the
# worker whose update hit queues the run: several servers and workers never queue it twice.
rebalance_schedules = Table(
    "rebalance_schedules",
    metadata,
    Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("interval_minutes", Integer, nullable=False),
    Column("next_due_at", UtcDateTime, nullable=True),
    Column("last_run_id", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_rebalance_schedules_due", "enabled", "next_due_at"),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("participant_id", String(ID), nullable=False),
    Column("opportunity", Integer, ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False),
    Column("score", Float, nullable=False),
    Column("run_id", Integer, nullable=False),
    UniqueConstraint("org_id", "participant_id", "opportunity"),
)

# The last circle formation of each organization, as the dashboard shows and exports it:
# ``view`` is the page's JSON (circles, roles, report), the CSVs are the three downloads.
circle_formations = Table(
    "circle_formations",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("source", Text, nullable=False),
    Column("view", JSON, nullable=False),
    Column("assignments_csv", Text, nullable=False),
    Column("circles_csv", Text, nullable=False),
    Column("unmatched_csv", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("org_id"),
)

# Secrets every server process must share (the dashboard's session-signing key on PostgreSQL,
# when FLOK_SESSION_SECRET is not set), created once by whichever process asks first.
service_secrets = Table(
    "service_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# --- after the allocation: versions and recorded changes (migration 0010) --------------------
# Every committed allocation (a run, a re-solve, a move, a change, a rollback) is a numbered
# version: its seats and capacities as they were, so any two can be diffed and any one restored.
# A draft (a re-solve or a proposed move, not yet committed) has no number until it is committed.
allocation_versions = Table(
    "allocation_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=True),
    Column("state", String(16), nullable=False),  # draft, committed, discarded
    Column("kind", String(16), nullable=False),  # allocate, resolve, move, change, rollback
    Column("run_id", Integer, nullable=True),
    Column("base_number", Integer, nullable=True),  # the version a draft was computed from
    Column("base_revision", Integer, nullable=True),  # the inputs' revision it read
    Column("seats", JSON, nullable=False),  # [[participant_id, opportunity_id, manual], …]
    Column("capacities", JSON, nullable=False),  # {opportunity_id: capacity}
    Column("label", JSON, nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("campaign_id", "number"),
    Index("ix_allocation_versions_run", "run_id"),
)

# Each change after the allocation (late participants, withdrawals, capacities, cancellations,
# commits, rollbacks, finalize and its undo): who, when, why, and what exactly.
campaign_changes = Table(
    "campaign_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("version", Integer, nullable=True),  # the version it made, when it made one
    Column("actor", String(ID), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_campaign_changes_campaign", "campaign_id", "id"),
)

# --- waitlists after finalize (migration 0011; rules in flok.waitlist) -----------------------
# One row per campaign: the accept-by delay of new offers, and, once the campaign is finalized,
# the lottery seed and when the waitlists started.
waitlists = Table(
    "waitlists",
    metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    _org(),
    Column("offer_hours", Float, nullable=False),
    Column("seed", Text, nullable=True),
    Column("started_at", UtcDateTime, nullable=True),
)

# A participant's place on an opportunity's waitlist: ``waiting``, or ``left`` with the reason
# (declined, expired, seated, placed_better, withdrawn). Kept after leaving, as the record.
waitlist_entries = Table(
    "waitlist_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("opportunity_id", String(ID), nullable=False),
    Column("rank", Integer, nullable=True),
    Column("score", Float, nullable=True),
    Column("lottery", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("campaign_id", "participant_id", "opportunity_id"),
    Index("ix_waitlist_entries_queue", "campaign_id", "opportunity_id", "status"),
)

# Seat offers: ``open`` until accepted, declined, expired or withdrawn (``reason``). At most one
# open offer per participant and opportunity (a partial unique index); ``released`` is the seat
# its holder gave up on accepting (the cascade's audit trail).
seat_offers = Table(
    "seat_offers",
    metadata,
    Column("id", Integer, primary_key=True),
    _org(),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", String(ID), nullable=False),
    Column("opportunity_id", String(ID), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("released", String(ID), nullable=True),
    Column("offered_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Index("ix_seat_offers_campaign", "campaign_id", "status"),
    Index(
        "uq_seat_offers_open",
        "campaign_id",
        "participant_id",
        "opportunity_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)
