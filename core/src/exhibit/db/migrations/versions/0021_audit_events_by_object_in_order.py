"""Audit events found by the object they concern in chain order, for continuity histories.

The index of 0019 gains ``seq``: a case's history asks for its objects' events after (or
before) a sequence number, and with ``seq`` in the index SQLite checks that against the
index before reading any row, and PostgreSQL finds an event's number without the row.
It replaces 0019's index, which it serves in full.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_force_object_seq",
        "audit_event",
        ["force_id", "object_type", "object_id", "seq"],
    )
    op.drop_index("ix_audit_event_force_object", table_name="audit_event")


def downgrade() -> None:
    op.create_index(
        "ix_audit_event_force_object",
        "audit_event",
        ["force_id", "object_type", "object_id"],
    )
    op.drop_index("ix_audit_event_force_object_seq", table_name="audit_event")
