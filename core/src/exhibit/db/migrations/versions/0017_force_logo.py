"""The force's logo on the witness's pages: the PNG Exhibit drew again, and its SHA-256.

No force has one until an admin uploads it; the pages then show the force's name alone.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("logo_sha256", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("logo_png", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("logo_png")
        batch_op.drop_column("logo_sha256")
