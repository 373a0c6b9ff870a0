"""notify_email's settings lose ``language``: an email's frame now follows its message.

The heading and footer around a message were in the one language a force chose, so a Welsh
force's emails in Welsh and English had an English-only frame, or an English receipt a
Welsh one. The frame now follows each message's own languages, and the setting is gone:
it is removed from every force's stored settings, which would otherwise no longer load.

It depends on no core revision: it only edits rows of the core's ``force_plugin`` table,
and on a database without that table yet (a first ``exhibit migrate``) there is nothing to
edit. So the core's line stays its own in ``alembic_version``, and a process that loads
fewer plugins than the database was migrated with still finds the core up to date.

Revision ID: notify_email_0001
Revises:
Create Date: 2026-12-07 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_email_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notify_email",)
depends_on: str | Sequence[str] | None = None

_settings = sa.table(
    "force_plugin",
    sa.column("id", sa.Integer),
    sa.column("plugin_id", sa.String),
    sa.column("config", sa.JSON),
)


def upgrade() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("force_plugin"):
        return
    rows = bind.execute(
        sa.select(_settings.c.id, _settings.c.config).where(_settings.c.plugin_id == "notify_email")
    ).all()
    for row_id, config in rows:
        if isinstance(config, dict) and "language" in config:
            kept = {key: value for key, value in config.items() if key != "language"}
            bind.execute(sa.update(_settings).where(_settings.c.id == row_id).values(config=kept))


def downgrade() -> None:
    """Nothing to put back: the frame follows each message, whatever the setting said."""
