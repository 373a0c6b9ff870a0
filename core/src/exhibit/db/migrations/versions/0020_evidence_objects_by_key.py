"""Items, derivatives and uploads found by the object they name, for the orphan search.

The fixity check asks which of a batch of a store's keys a record names; without these
indexes each such question read all the force's items, derivatives and uploads.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_evidence_item_force_key", "evidence_item"),
    ("ix_derivative_force_key", "derivative"),
    ("ix_upload_force_key", "upload"),
)


def upgrade() -> None:
    for name, table in INDEXES:
        op.create_index(name, table, ["force_id", "storage_backend", "storage_key"])


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table_name=table)
