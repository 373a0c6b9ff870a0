"""Review and disposal: categories, disposal requests, review columns, force review settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"], ["force.id"], name=op.f("fk_category_force_id_force"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("force_id", "name", name=op.f("uq_category_force_id_name")),
    )
    op.create_index(op.f("ix_category_force_id"), "category", ["force_id"], unique=False)
    op.create_table(
        "disposal_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=2000), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_disposal_request_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_item.id"],
            name=op.f("fk_disposal_request_item_id_evidence_item"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["user_account.id"],
            name=op.f("fk_disposal_request_requested_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_disposal_request_decided_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_request")),
    )
    op.create_index(
        op.f("ix_disposal_request_force_id"), "disposal_request", ["force_id"], unique=False
    )
    op.create_index(
        op.f("ix_disposal_request_item_id"), "disposal_request", ["item_id"], unique=False
    )
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decline_reason", sa.String(length=2000), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_item_category_id_category"), "category", ["category_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_item_reviewed_by_user_account"),
            "user_account",
            ["reviewed_by"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_item_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            "ix_evidence_item_case_received", ["case_id", "received_at", "id"], unique=False
        )
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "exhibit_reference_format",
                sa.String(length=64),
                nullable=False,
                server_default="{initials}/{n}",
            )
        )
        batch_op.add_column(
            sa.Column("declined_retention_days", sa.Integer(), nullable=False, server_default="90")
        )
        batch_op.add_column(
            sa.Column(
                "disposal_needs_approval", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("disposal_needs_approval")
        batch_op.drop_column("declined_retention_days")
        batch_op.drop_column("exhibit_reference_format")
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_item_case_received")
        batch_op.drop_index(batch_op.f("ix_evidence_item_category_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_item_reviewed_by_user_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_item_category_id_category"), type_="foreignkey"
        )
        batch_op.drop_column("disposed_at")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("category_id")
    op.drop_index(op.f("ix_disposal_request_item_id"), table_name="disposal_request")
    op.drop_index(op.f("ix_disposal_request_force_id"), table_name="disposal_request")
    op.drop_table("disposal_request")
    op.drop_index(op.f("ix_category_force_id"), table_name="category")
    op.drop_table("category")
