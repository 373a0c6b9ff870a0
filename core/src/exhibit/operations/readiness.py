"""Whether the database holds the schema this process was built for, checked cheaply often.

A readiness probe asks every few seconds. Reading the revision graph from the migration
files takes tens of milliseconds, so the answer is kept for the set of revisions the
database last recorded, and worked out again only when that set changes (a migration ran,
or another database was restored under the running processes).
"""

from sqlalchemy.ext.asyncio import AsyncEngine

from exhibit.db.revisions import applied_revisions, unapplied_heads, version_dirs
from exhibit.plugins.manager import Plugins


class SchemaCheck:
    """Answers whether a database has every revision of the core and the installed plugins."""

    def __init__(self, plugins: Plugins) -> None:
        self._folders = version_dirs(plugins)
        self._last: tuple[frozenset[str], bool] | None = None

    async def is_current(self, engine: AsyncEngine) -> bool:
        """True when no migration of this process's code is missing from the database.

        A database migrated by a newer version also reads as not current: this process's
        newest revisions are then not the database's.
        """
        applied = frozenset(await applied_revisions(engine))
        if self._last is None or self._last[0] != applied:
            self._last = (applied, not unapplied_heads(self._folders, applied))
        return self._last[1]
