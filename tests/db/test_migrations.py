"""Migrations run up from empty on both engines and match the models."""

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from exhibit.db.base import Base
from exhibit.db.migrate import alembic_config, pending_heads
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins


async def test_migrated_database_has_every_table_and_no_pending_revision(
    platform: Platform,
) -> None:
    async with platform.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert await pending_heads(platform.engine, platform.plugins) == set()


def test_the_core_has_one_head_for_the_next_revision_to_build_on() -> None:
    script = ScriptDirectory.from_config(alembic_config(load_builtin_plugins()))

    assert script.get_heads() == ["0010"]
