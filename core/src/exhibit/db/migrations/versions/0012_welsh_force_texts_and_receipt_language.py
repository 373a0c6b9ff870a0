"""The force's own texts in Welsh, and the language a witness sent their files in.

A force that offers Welsh writes its contact details and privacy notice in Welsh too; the
Welsh pages and messages fall back to the English ones while these are empty. A
submission records the language of the page it was sent from, so that the receipt goes in
that language. Submissions sent before this revision were sent in English.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "contact_details_cy", sa.String(length=1000), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("privacy_notice_cy", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice_cy")
        batch_op.drop_column("contact_details_cy")
