"""Operating Exhibit: migrate an empty database, refuse to start on an old one, run a worker."""

import asyncio
import signal
import sys
import time

import pytest
from sqlalchemy import inspect, select, text

from exhibit.db.engine import create_engine
from exhibit.db.revisions import MIGRATIONS_DIR, head_revisions
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import DeliveryStatus, Notification
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.startup import NotReady, check_ready
from tests.fixtures.cli import exhibit_env, invoke_exhibit, run_exhibit

# ``empty_settings`` (an empty database on each engine) is in tests/cli/conftest.py.


async def test_the_app_refuses_to_start_on_an_unmigrated_database(empty_settings: Settings) -> None:
    platform = Platform(empty_settings, load_builtin_plugins())
    try:
        with pytest.raises(NotReady, match="run `exhibit migrate`"):
            await check_ready(platform)
    finally:
        await platform.close()


async def test_exhibit_migrate_brings_an_empty_database_to_head(empty_settings: Settings) -> None:
    migrated = await asyncio.to_thread(run_exhibit, empty_settings, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "database is up to date" in migrated.stdout
    engine = create_engine(empty_settings.database_url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {"force", "audit_event", "evidence_item", "job", "alembic_version"} <= tables

    platform = Platform(empty_settings, load_builtin_plugins())
    try:
        await check_ready(platform)  # now it may start
    finally:
        await platform.close()
    # Once in a process of its own (above), as an operator runs it; again in this one.
    again = await asyncio.to_thread(invoke_exhibit, empty_settings, "migrate")
    assert again.returncode == 0


async def test_exhibit_worker_delivers_queued_messages_and_stops_cleanly(
    platform: Platform,
) -> None:
    async with platform.system_session() as session:
        force = await create_force(session, slug="kent", name="Kent", actor="test")
        await session.commit()
    async with force_transaction(platform, force.id) as tx:
        await queue_message(
            tx.session,
            platform.secret_box,
            force.id,
            channel="sms",
            recipient="+447700900123",
            content=MessageContent(body="hello"),
            purpose="test",
        )

    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "exhibit",
        "worker",
        env=exhibit_env(platform.settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != DeliveryStatus.DELIVERED:
            await asyncio.sleep(0.3)
            async with platform.force_session(force.id) as session:
                status = await session.scalar(select(Notification.status))
        assert status == DeliveryStatus.DELIVERED
    finally:
        worker.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(worker.communicate(), timeout=30))[0].decode()
    assert worker.returncode == 0, output
    assert "+447700900123" not in output  # the log never shows the recipient


async def test_a_database_a_newer_version_migrated_is_named_as_such(platform: Platform) -> None:
    async with platform.engine.begin() as connection:
        for head in head_revisions([MIGRATIONS_DIR / "versions"]):
            await connection.execute(
                text("UPDATE alembic_version SET version_num = '9999' WHERE version_num = :head"),
                {"head": head},
            )

    with pytest.raises(NotReady, match=r"does not know \(9999[,)].*migrated by a newer version"):
        await check_ready(platform)
