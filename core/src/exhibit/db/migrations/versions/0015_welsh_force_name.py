"""The force's name in Welsh ("Heddlu Dyfed-Powys"), for the Welsh pages and messages.

Empty until an admin writes it: the Welsh pages and messages then use the English name.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_cy", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("name_cy")
