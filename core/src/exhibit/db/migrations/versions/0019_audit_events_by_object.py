"""Audit events found by the object they concern, for continuity histories.

An item's or a case's continuity asks for the events about given objects; without this
index each such question read the force's whole audit log.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_force_object",
        "audit_event",
        ["force_id", "object_type", "object_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_force_object", table_name="audit_event")
