"""rsvp_attempts: every RSVP attempt and whether it was refused as full

The oversubscription rate (refused ÷ attempts) needs recorded outcomes: a refusal used to leave
no trace (the 409 rolled its transaction back), so the rate could only be guessed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rsvp_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.String(length=200), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_rsvp_attempts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvp_attempts")),
    )
    op.create_index("ix_rsvp_attempts_org_id", "rsvp_attempts", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rsvp_attempts_org_id", table_name="rsvp_attempts")
    op.drop_table("rsvp_attempts")
