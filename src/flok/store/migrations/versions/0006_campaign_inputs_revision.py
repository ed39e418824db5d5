"""campaigns.inputs_revision: bumped whenever a campaign's opportunities, registrations or
participants change

An allocation run remembers the revision it read and stores its result only if the campaign
still has it, so registrations withdrawn (or added) while a run computes are never ignored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inputs_revision", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("inputs_revision")
