"""Join the schema changes made side by side after 0003 into one head.

Review and disposal (0004), two-factor and administration (0005), notification delivery
(0006), media processing (0008) and sharing (0009) each started from 0003; none depends on
another. From here the core has one head again, which the next revision builds on.

Revision ID: 0010
Revises: 0004, 0005, 0006, 0008, 0009
Create Date: 2026-11-25 16:55:00
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006", "0008", "0009")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the revisions it joins did the work."""


def downgrade() -> None:
    """Nothing to undo."""
