"""circle_formations: the dashboard's last circle formation per organization, persisted

Until now it lived in one server process's memory: a restart forgot it, and with several
server processes a page could be served by one that never saw it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circle_formations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("assignments_csv", sa.Text(), nullable=False),
        sa.Column("circles_csv", sa.Text(), nullable=False),
        sa.Column("unmatched_csv", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_circle_formations_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_formations")),
        sa.UniqueConstraint("org_id", name=op.f("uq_circle_formations_org_id")),
    )


def downgrade() -> None:
    op.drop_table("circle_formations")
