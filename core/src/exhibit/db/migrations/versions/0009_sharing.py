"""Sharing: delivery status of each share, each force's bundle-signing key, partner accounts.

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-25 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "share_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "PENDING",
                "DELIVERED",
                "FAILED",
                "WITHDRAWN",
                name="deliverystate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_share_delivery_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["share.id"], name=op.f("fk_share_delivery_share_id_share")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_delivery")),
        sa.UniqueConstraint("share_id", name=op.f("uq_share_delivery_share_id")),
    )
    with op.batch_alter_table("share_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_delivery_force_id"), ["force_id"], unique=False)

    op.create_table(
        "share_signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_share_signing_key_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_signing_key")),
        sa.UniqueConstraint("force_id", name=op.f("uq_share_signing_key_force_id")),
    )
    with op.batch_alter_table("share_signing_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_signing_key_force_id"), ["force_id"], unique=False
        )

    op.create_table(
        "share_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("invite_token_hash", sa.String(length=64), nullable=True),
        sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_share_partner_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_partner")),
        sa.UniqueConstraint("force_id", "email", name=op.f("uq_share_partner_force_id_email")),
    )
    with op.batch_alter_table("share_partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_partner_force_id"), ["force_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("share_partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_partner_force_id"))
    op.drop_table("share_partner")
    with op.batch_alter_table("share_signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_signing_key_force_id"))
    op.drop_table("share_signing_key")
    with op.batch_alter_table("share_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_delivery_force_id"))
    op.drop_table("share_delivery")
