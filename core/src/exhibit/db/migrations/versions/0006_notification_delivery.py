"""Notification delivery: status detail, fallback use, receipts by reference; force settings
for purging contact details and reminding witnesses.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-25 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_detail", sa.String(length=1000), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("used_fallback", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_notification_provider_reference"), ["provider_reference"], unique=False
        )
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_purge_days", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(
            sa.Column("reminder_hours_before", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("reminder_hours_before")
        batch_op.drop_column("contact_purge_days")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_provider_reference"))
        batch_op.drop_column("used_fallback")
        batch_op.drop_column("status_detail")
