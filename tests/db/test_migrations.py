"""Migrations run up from empty on both engines and match the models."""

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from exhibit.audit.models import AuditEvent
from exhibit.db.base import Base
from exhibit.db.migrate import alembic_config
from exhibit.db.revisions import head_revisions, pending_heads, unapplied_heads, version_dirs
from exhibit.forces.models import Force, ForcePlugin
from exhibit.forces.service import create_force
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins, load_plugins


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

    assert script.get_heads() == ["0021"]


@pytest.mark.parametrize("plugins", [load_builtin_plugins(), load_plugins()], ids=["core", "all"])
def test_heads_read_from_the_files_are_alembics_heads(plugins: Plugins) -> None:
    """Start-up reads the revision graph itself (no Alembic in the process): same answer."""
    script = ScriptDirectory.from_config(alembic_config(plugins))

    assert head_revisions(version_dirs(plugins)) == set(script.get_heads())


async def test_a_database_behind_the_newest_revision_is_reported(platform: Platform) -> None:
    heads = head_revisions(version_dirs(platform.plugins))
    async with platform.engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = '0020' WHERE version_num = '0021'")
        )

    assert "0021" in await pending_heads(platform.engine, platform.plugins)
    assert await pending_heads(platform.engine, platform.plugins) <= heads


async def test_an_empty_database_lacks_every_head(tmp_path: object) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3")
    plugins = load_builtin_plugins()
    try:
        assert await pending_heads(engine, plugins) == head_revisions(version_dirs(plugins))
    finally:
        await engine.dispose()


async def test_force_file_size_defaults_become_decimal_megabytes(platform: Platform) -> None:
    """0014: what an admin typed as N "MB" (stored as N MiB) becomes N decimal megabytes,
    the old default of 10 GiB becomes 10 GB, and a size in bytes (from the API) stays."""
    async with platform.engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = '0013' WHERE version_num = '0021'")
        )
    async with platform.system_session() as session:
        for slug, size in [
            ("kent", 500 * 1024**2),
            ("essex", 10 * 1024**3),
            ("surrey", 123_456_789),
        ]:
            force = await create_force(session, slug=slug, name=slug.title(), actor="test")
            force.default_max_file_bytes = size
        await session.commit()

    await _upgrade_to(platform, "0014")

    async with platform.system_session() as session:
        sizes = dict(
            (await session.execute(select(Force.slug, Force.default_max_file_bytes))).all()
        )
    assert sizes == {"kent": 500 * 1000**2, "essex": 10 * 1000**3, "surrey": 123_456_789}


async def _upgrade_to(platform: Platform, revision: str) -> None:
    config = alembic_config(load_plugins())  # the plugins the test database was migrated with

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with platform.engine.begin() as connection:
        await connection.run_sync(upgrade)


async def test_audit_events_are_indexed_by_object_in_chain_order(platform: Platform) -> None:
    """0021: 0019's object index gains ``seq``, on a log that already holds events and
    stays append-only (the indexes are built from the rows, which are never rewritten)."""
    async with platform.system_session() as session:
        await create_force(session, slug="kent", name="Kent Police", actor="test")
        await session.commit()

    await _downgrade_to(platform, "0020")
    assert await _object_indexes(platform) == {
        "ix_audit_event_force_object": ["force_id", "object_type", "object_id"]
    }
    await _upgrade_to(platform, "heads")

    assert await _object_indexes(platform) == {
        "ix_audit_event_force_object_seq": ["force_id", "object_type", "object_id", "seq"]
    }
    with pytest.raises(DBAPIError, match="append-only"):
        async with platform.engine.begin() as connection:
            await connection.execute(text("DELETE FROM audit_event"))
    async with platform.system_session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 1


async def _object_indexes(platform: Platform) -> dict[str, list[str | None]]:
    def read(connection: Connection) -> dict[str, list[str | None]]:
        indexes = inspect(connection).get_indexes("audit_event")
        return {
            str(i["name"]): i["column_names"] for i in indexes if "object_id" in i["column_names"]
        }

    async with platform.engine.connect() as connection:
        return await connection.run_sync(read)


async def _downgrade_to(platform: Platform, revision: str) -> None:
    config = alembic_config(load_plugins())

    def downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with platform.engine.begin() as connection:
        await connection.run_sync(downgrade)


async def test_notify_email_settings_lose_the_frame_language(platform: Platform) -> None:
    """notify_email_0001: the frame follows each message, so the stored ``language`` goes
    (settings still holding it would no longer load), and the rest stays as it was."""
    async with platform.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM alembic_version WHERE version_num = 'notify_email_0001'")
        )
    async with platform.system_session() as session:
        force = await create_force(session, slug="kent", name="Kent Police", actor="test")
        await session.flush()
        stored = {"provider": "smtp", "from_address": "evidence@kent.police.uk", "language": "cy"}
        session.add(ForcePlugin(force_id=force.id, plugin_id="notify_email", config=stored))
        session.add(ForcePlugin(force_id=force.id, plugin_id="other", config={"language": "cy"}))
        await session.commit()

    await _upgrade_to(platform, "heads")

    async with platform.system_session() as session:
        rows = await session.execute(select(ForcePlugin.plugin_id, ForcePlugin.config))
        configs: dict[str, object] = {plugin_id: config for plugin_id, config in rows}
    assert configs == {
        "notify_email": {"provider": "smtp", "from_address": "evidence@kent.police.uk"},
        "other": {"language": "cy"},
    }


def test_a_head_that_a_plugins_revision_depends_on_counts_as_applied(tmp_path: Path) -> None:
    """Alembic keeps only the plugin's revision in ``alembic_version`` once it ``depends_on``
    the core's head (as docs/plugins.md advises): the core's head is applied all the same."""
    core, plugin = tmp_path / "core", tmp_path / "plugin"
    core.mkdir()
    plugin.mkdir()
    (core / "0001.py").write_text('revision = "0001"\ndown_revision = None\n')
    (core / "0002.py").write_text('revision = "0002"\ndown_revision = "0001"\n')
    (plugin / "p1.py").write_text(
        'revision = "p1"\ndown_revision = None\nbranch_labels = ("p",)\ndepends_on = "0002"\n'
    )

    assert head_revisions([core, plugin]) == {"0002", "p1"}
    assert unapplied_heads([core, plugin], {"p1"}) == set()
    assert unapplied_heads([core, plugin], {"0002"}) == {"p1"}
    assert unapplied_heads([core, plugin], {"0001", "p1"}) == set()  # p1 stands for 0002
