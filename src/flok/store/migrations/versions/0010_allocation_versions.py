"""allocation_versions and campaign_changes: history, drafts and the changes after an allocation

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"], ["campaigns.id"], name=op.f(f"fk_{table}_campaign_id_campaigns"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "allocation_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("base_number", sa.Integer(), nullable=True),
        sa.Column("base_revision", sa.Integer(), nullable=True),
        sa.Column("seats", sa.JSON(), nullable=False),
        sa.Column("capacities", sa.JSON(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        _campaign_fk("allocation_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_versions")),
        sa.UniqueConstraint("campaign_id", "number", name=op.f("uq_allocation_versions_campaign_id_number")),
    )
    op.create_index("ix_allocation_versions_run", "allocation_versions", ["run_id"], unique=False)
    op.create_table(
        "campaign_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        _campaign_fk("campaign_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_changes")),
    )
    op.create_index("ix_campaign_changes_campaign", "campaign_changes", ["campaign_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_campaign_changes_campaign", table_name="campaign_changes")
    op.drop_table("campaign_changes")
    op.drop_index("ix_allocation_versions_run", table_name="allocation_versions")
    op.drop_table("allocation_versions")
