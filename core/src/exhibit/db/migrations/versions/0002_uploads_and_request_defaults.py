"""Resumable uploads, rate-limit windows, force request defaults, quarantine reasons.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:29:00.174446
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_window",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_window")),
    )
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("storage_backend", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("storage_state", sa.JSON(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("declared_type", sa.String(length=200), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("client_sha256", sa.String(length=64), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"], ["force.id"], name=op.f("fk_upload_force_id_force"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["evidence_item.id"], name=op.f("fk_upload_item_id_evidence_item")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["evidence_request.id"],
            name=op.f("fk_upload_request_id_evidence_request"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_upload_submission_id_submission")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload")),
        sa.UniqueConstraint("public_id", name=op.f("uq_upload_public_id")),
    )
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_upload_submission_id"), ["submission_id"], unique=False
        )

    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quarantine_reason", sa.String(length=500), nullable=False, server_default="")
        )

    with op.batch_alter_table("evidence_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("privacy_notice", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("welsh_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("default_max_files", sa.Integer(), nullable=False, server_default="25")
        )
        batch_op.add_column(
            sa.Column(
                "default_max_file_bytes",
                sa.BigInteger(),
                nullable=False,
                server_default=str(10 * 1024**3),
            )
        )
        batch_op.add_column(
            sa.Column("default_expiry_days", sa.Integer(), nullable=False, server_default="7")
        )


def downgrade() -> None:
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("default_expiry_days")
        batch_op.drop_column("default_max_file_bytes")
        batch_op.drop_column("default_max_files")
        batch_op.drop_column("welsh_enabled")
        batch_op.drop_column("privacy_notice")

    with op.batch_alter_table("evidence_request", schema=None) as batch_op:
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("opened_at")

    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_column("quarantine_reason")

    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_submission_id"))
        batch_op.drop_index(batch_op.f("ix_upload_request_id"))
        batch_op.drop_index(batch_op.f("ix_upload_force_id"))

    op.drop_table("upload")
    op.drop_table("rate_limit_window")
