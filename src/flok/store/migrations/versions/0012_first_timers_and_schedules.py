"""participants.first_timer and rebalance_schedules

Inclusion (first-timers' match rate minus everyone's) needs to know who is new: a stored
``first_timer`` flag per community participant (false unless told). A periodic rebalance needs
a per-organization schedule whose ``next_due_at`` workers advance with a compare-and-set, so a
due rebalance is queued once however many servers and workers tick.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("first_timer", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "rebalance_schedules",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("next_due_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_rebalance_schedules_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_rebalance_schedules")),
    )
    op.create_index("ix_rebalance_schedules_due", "rebalance_schedules", ["enabled", "next_due_at"])


def downgrade() -> None:
    op.drop_index("ix_rebalance_schedules_due", table_name="rebalance_schedules")
    op.drop_table("rebalance_schedules")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("first_timer")
