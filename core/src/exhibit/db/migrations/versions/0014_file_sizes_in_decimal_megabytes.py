"""A force's largest-file default counts in decimal megabytes, as every page shows sizes.

The officer pages took "MB" as 1,048,576 bytes while the witness page, the receipts and the
item pages count 1,000,000 bytes to the MB, as phones do: the default of "10240 MB" showed a
witness "10.7 GB". A default that is a whole number of those old megabytes is turned into
the same number of decimal ones (what the admin typed), and the old 10 GiB default into
10 GB. Requests already sent keep the limits their witnesses were told.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_MB = 1024**2
MB = 1000**2
OLD_DEFAULT = 10 * 1024**3
DEFAULT = 10 * 1000**3
_force = sa.table("force", sa.column("default_max_file_bytes", sa.BigInteger))
_bytes = _force.c.default_max_file_bytes


def _recount(default: int, new_default: int, unit: int, new_unit: int) -> None:
    """The default becomes the new default; other whole numbers of ``unit``, of ``new_unit``.

    Neither new value is a whole number of the old unit, so the second step leaves the first's
    result alone.
    """
    op.execute(sa.update(_force).where(_bytes == default).values({_bytes: new_default}))
    op.execute(
        sa.update(_force).where(_bytes % unit == 0).values({_bytes: _bytes // unit * new_unit})
    )


def upgrade() -> None:
    _recount(OLD_DEFAULT, DEFAULT, OLD_MB, MB)


def downgrade() -> None:
    _recount(DEFAULT, OLD_DEFAULT, MB, OLD_MB)
