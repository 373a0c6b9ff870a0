"""When the requesting officer was told that an upload's file arrived.

Files that arrive within minutes of each other share one note to the officer; the column
marks the files told of. Files received before this revision count as told.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer_told_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE upload SET officer_told_at = completed_at WHERE completed_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_column("officer_told_at")
