"""When each user last opened each case, so that the case list and page show what is new.

Nobody has opened anything yet: every item is new to everyone until they open its case.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_visit_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_case_visit_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_case_visit_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_visit")),
        sa.UniqueConstraint("user_id", "case_id", name=op.f("uq_case_visit_user_id_case_id")),
    )
    with op.batch_alter_table("case_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_visit_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_visit_force_id"), ["force_id"], unique=False)


def downgrade() -> None:
    op.drop_table("case_visit")
