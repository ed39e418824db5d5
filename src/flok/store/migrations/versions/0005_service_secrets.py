"""service_secrets: secrets all server processes share (the dashboard's session key)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 05:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flok.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_secrets")),
    )


def downgrade() -> None:
    op.drop_table("service_secrets")
