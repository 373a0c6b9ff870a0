"""Sign-in lock-out per email and client address, plus one count per email for all clients.

The table holds only counts of the last hour or so, so it is recreated with its new key
rather than converted: lock-outs in force at the upgrade are lifted.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("sign_in_lockout")
    _create(with_client=True)


def downgrade() -> None:
    op.drop_table("sign_in_lockout")
    _create(with_client=False)


def _create(*, with_client: bool) -> None:
    key = ["email_hash", "client_hash"] if with_client else ["email_hash"]
    client = [sa.Column("client_hash", sa.String(length=64), nullable=False)] if with_client else []
    op.create_table(
        "sign_in_lockout",
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        *client,
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_sign_in_lockout")),
    )
