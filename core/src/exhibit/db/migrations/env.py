"""Alembic environment: runs on the connection that ``exhibit.db.migrate`` hands over.

Migrations are only run through ``exhibit migrate`` (or ``upgrade_to_head``), which opens
the async engine and passes a synchronous connection here in ``config.attributes``.
"""

from alembic import context

import exhibit.db.models  # noqa: F401  (registers every core table on the metadata)
from exhibit.db.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
