"""Migrations run up from empty on both engines and match the models."""

from sqlalchemy import inspect

from exhibit.db.base import Base
from exhibit.db.migrate import pending_heads
from exhibit.platform import Platform


async def test_migrated_database_has_every_table_and_no_pending_revision(
    platform: Platform,
) -> None:
    async with platform.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert await pending_heads(platform.engine, platform.plugins) == set()
