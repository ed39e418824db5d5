"""organizations.catalog_version: bumped whenever an opportunity is created, changed or deleted

Lets a server process keep each organization's opportunity catalog (titles, tags, times,
places, capacities, already parsed) in memory and know with one cheap read when it is stale.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalog_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("catalog_version")
