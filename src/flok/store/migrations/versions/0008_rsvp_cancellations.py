"""rsvp_cancellations: seats given back because their participant was deleted

Deleting a participant left their confirmed seats taken by nobody (and a participant created
again with the same id inherited them). Now the seats are freed, and each one is recorded here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rsvp_cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("cancelled_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_rsvp_cancellations_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvp_cancellations")),
    )
    op.create_index(
        "ix_rsvp_cancellations_participant", "rsvp_cancellations", ["org_id", "participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rsvp_cancellations_participant", table_name="rsvp_cancellations")
    op.drop_table("rsvp_cancellations")
