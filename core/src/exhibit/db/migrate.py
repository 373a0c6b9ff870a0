"""Bringing a database to the newest schema: core and every installed plugin's branch."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from exhibit.plugins.manager import Plugins

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(plugins: Plugins) -> Config:
    """An Alembic configuration covering the core revisions and every plugin's."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [str(MIGRATIONS_DIR / "versions"), *map(str, plugins.migration_dirs.values())]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


async def upgrade_to_head(engine: AsyncEngine, plugins: Plugins) -> None:
    """Apply every pending migration (``upgrade heads``) in one connection."""
    config = alembic_config(plugins)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def pending_heads(engine: AsyncEngine, plugins: Plugins) -> set[str]:
    """The head revisions not yet applied to the database (empty when up to date)."""
    script = ScriptDirectory.from_config(alembic_config(plugins))

    def _current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return set(script.get_heads()) - current
