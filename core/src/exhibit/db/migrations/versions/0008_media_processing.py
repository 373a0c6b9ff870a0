"""Media processing outcomes and perceptual hashes.

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-25 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_processing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("processor", sa.String(length=100), nullable=False),
        sa.Column("processor_version", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_media_processing_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_item.id"],
            name=op.f("fk_media_processing_item_id_evidence_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_processing")),
    )
    with op.batch_alter_table("media_processing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_processing_force_id"), ["force_id"])
        batch_op.create_index(batch_op.f("ix_media_processing_item_id"), ["item_id"])

    op.create_table(
        "media_hash",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Float(), nullable=True),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_media_hash_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["evidence_item.id"], name=op.f("fk_media_hash_item_id_evidence_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_hash")),
    )
    with op.batch_alter_table("media_hash", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_hash_force_id"), ["force_id"])
        batch_op.create_index(batch_op.f("ix_media_hash_item_id"), ["item_id"])
        batch_op.create_index("ix_media_hash_force_algorithm", ["force_id", "algorithm"])


def downgrade() -> None:
    op.drop_table("media_hash")
    op.drop_table("media_processing")
