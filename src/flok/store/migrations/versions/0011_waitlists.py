"""waitlists, waitlist_entries, seat_offers: waitlists that cascade after finalize

Every participant without a seat at finalize waits on the opportunities they listed; a seat
that frees is offered with an accept-by deadline (rules in ``flok.waitlist``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 23:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"], ["campaigns.id"], name=op.f(f"fk_{table}_campaign_id_campaigns"), ondelete="CASCADE"
    )


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"], ["organizations.id"], name=op.f(f"fk_{table}_org_id_organizations"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "waitlists",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("offer_hours", sa.Float(), nullable=False),
        sa.Column("seed", sa.Text(), nullable=True),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=True),
        _campaign_fk("waitlists"),
        _org_fk("waitlists"),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_waitlists")),
    )
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=200), nullable=False),
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("lottery", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        _campaign_fk("waitlist_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint(
            "campaign_id",
            "participant_id",
            "opportunity_id",
            name=op.f("uq_waitlist_entries_campaign_id_participant_id_opportunity_id"),
        ),
    )
    op.create_index(
        "ix_waitlist_entries_queue", "waitlist_entries", ["campaign_id", "opportunity_id", "status"]
    )
    op.create_table(
        "seat_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=200), nullable=False),
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("released", sa.String(length=200), nullable=True),
        sa.Column("offered_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        _org_fk("seat_offers"),
        _campaign_fk("seat_offers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_offers")),
    )
    op.create_index("ix_seat_offers_campaign", "seat_offers", ["campaign_id", "status"])
    # At most one open offer per participant and opportunity, whatever two transactions do.
    op.create_index(
        "uq_seat_offers_open",
        "seat_offers",
        ["campaign_id", "participant_id", "opportunity_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_seat_offers_open", table_name="seat_offers")
    op.drop_index("ix_seat_offers_campaign", table_name="seat_offers")
    op.drop_table("seat_offers")
    op.drop_index("ix_waitlist_entries_queue", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    op.drop_table("waitlists")
