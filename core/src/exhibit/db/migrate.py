"""Bringing a database to the newest schema: core and every installed plugin's branch."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from exhibit.db.revisions import MIGRATIONS_DIR, version_dirs
from exhibit.plugins.manager import Plugins


def alembic_config(plugins: Plugins) -> Config:
    """An Alembic configuration covering the core revisions and every plugin's."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = map(str, version_dirs(plugins))
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
