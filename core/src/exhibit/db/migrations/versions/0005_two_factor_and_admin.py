"""Two-factor sign-in (TOTP) and force administration: confirmed secrets, the last code
used, the force's two-factor setting, and one-time links for new users to set a password.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25 15:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "two_factor_required", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "password_setup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["force_id"],
            ["force.id"],
            name=op.f("fk_password_setup_force_id_force"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_password_setup_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_setup")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_setup_token_hash")),
    )
    with op.batch_alter_table("password_setup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_setup_force_id"), ["force_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_password_setup_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("password_setup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_setup_user_id"))
        batch_op.drop_index(batch_op.f("ix_password_setup_force_id"))
    op.drop_table("password_setup")
    with op.batch_alter_table("force", schema=None) as batch_op:
        batch_op.drop_column("two_factor_required")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_confirmed_at")
