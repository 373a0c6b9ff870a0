"""What an operator can fix is told in one line on stderr with exit code 1, never a traceback.

A database that is down or refuses us, one not migrated yet, a bad setting, a key that
cannot read the stored secrets: every command, ``serve`` included, says so plainly.

Where there is no database to set up, each command runs in a process of its own, as an
operator runs it; elsewhere only ``serve`` and ``worker`` do, and the rest run in this one.
"""

import asyncio
import subprocess
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import select, text

from exhibit.audit.models import AuditEvent
from exhibit.db.revisions import MIGRATIONS_DIR, head_revisions
from exhibit.forces.models import ForcePlugin
from exhibit.platform import Platform
from exhibit.secrets import KEY_FILE_NAME, SecretBox
from exhibit.settings import Settings
from tests.fixtures.cli import RUN_UNTIL_STOPPED, free_port, invoke_exhibit, run_exhibit

NO_SCHEMA = "the database has no Exhibit schema yet: run `exhibit migrate`"
PASSWORD = "hunter2-not-shown"
SMS_CONFIG = msgspec.json.encode(
    {
        "provider": "twilio",
        "sender_id": "KentPolice",
        "twilio": {"account_sid": "AC" + "0" * 32, "auth_token": {"value": "twilio-secret"}},
    }
).decode()


def _commands() -> list[tuple[str, ...]]:
    return [
        ("force", "create", "kent", "--name", "Kent Police"),
        ("audit", "verify"),
        ("worker",),
        ("serve", "--port", str(free_port())),
    ]


def run_command(
    settings: Settings, *args: str, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """``exhibit ARGS``: in a process of its own for the commands that serve until stopped
    (they would serve here if they started), in this process for the others."""
    run = run_exhibit if args[0] in RUN_UNTIL_STOPPED else invoke_exhibit
    return run(settings, *args, **extra_env)


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The command failed with exactly ``message`` on stderr and exit code 1."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"Error: {message}"]


@pytest.mark.parametrize("command", [("migrate",), *_commands()], ids=lambda c: c[0])
def test_a_database_that_is_down_is_named_without_its_password(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"postgresql+asyncpg://exhibit:{PASSWORD}@127.0.0.1:{port}/exhibit",
        secret_key=SecretBox.generate_key(),
    )
    result = run_exhibit(settings, *command)
    assert_one_line_error(
        result, f"cannot reach the database at 127.0.0.1:{port} (connection refused)"
    )
    assert PASSWORD not in result.stdout


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c[0])
async def test_an_unmigrated_database_asks_for_exhibit_migrate(
    empty_settings: Settings, command: tuple[str, ...]
) -> None:
    result = await asyncio.to_thread(run_command, empty_settings, *command)
    assert_one_line_error(result, NO_SCHEMA)


@pytest.mark.parametrize("command", [("migrate",), ("serve", "--port", "1")], ids=str)
def test_an_unsupported_database_url_names_the_driver_only(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"postgres://exhibit:{PASSWORD}@db/x")
    result = run_exhibit(settings, *command)
    assert_one_line_error(
        result,
        "EXHIBIT_DATABASE_URL: unsupported driver 'postgres'; "
        "use postgresql+asyncpg://user@host/database or sqlite+aiosqlite:///path",
    )


@pytest.mark.parametrize(
    "command",
    [
        ("migrate",),
        ("audit", "verify"),
        ("worker",),
        ("demo", "--port", "1"),
        ("token", "list", "a"),
    ],
    ids=lambda c: c[0],
)
def test_a_bad_trusted_proxies_setting_is_one_line_for_every_command(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    result = run_exhibit(settings, *command, EXHIBIT_TRUSTED_PROXIES="10.0.0.1,foo")
    assert_one_line_error(result, "EXHIBIT_TRUSTED_PROXIES: 'foo' is not an IP address or network")


async def test_serve_refuses_a_key_that_cannot_read_the_stored_secrets(
    platform: Platform,
) -> None:
    settings = platform.settings

    async def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(run_command, settings, *args)

    for args in (
        ("migrate",),
        ("force", "create", "kent", "--name", "Kent Police"),
        ("force", "plugin", "kent", "notify_sms", "--config", SMS_CONFIG),
    ):
        done = await run(settings, *args)
        assert done.returncode == 0, done.stderr

    other_key = msgspec.structs.replace(settings, secret_key=SecretBox.generate_key())
    refused = await run(other_key, "serve", "--port", str(free_port()))
    assert_one_line_error(
        refused,
        "force 'kent': plugin 'notify_sms': a stored secret cannot be decrypted with the "
        "current EXHIBIT_SECRET_KEY - at `$.twilio.auth_token`",
    )
    garbage = msgspec.structs.replace(settings, secret_key="garbage")
    refused = await run(garbage, "serve", "--port", str(free_port()))
    assert_one_line_error(
        refused, "EXHIBIT_SECRET_KEY is not a valid key; make one with `exhibit secret-key`"
    )


async def test_disabling_or_enabling_a_plugin_keeps_its_configuration(platform: Platform) -> None:
    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(invoke_exhibit, platform.settings, *args)

    async def stored() -> tuple[bool, dict[str, object]]:
        async with platform.system_session() as session:
            row = await session.scalar(select(ForcePlugin))
        assert row is not None
        return row.enabled, row.config

    created = await run("force", "create", "kent", "--name", "Kent Police")
    assert created.returncode == 0, created.stderr
    configured = await run("force", "plugin", "kent", "notify_sms", "--config", SMS_CONFIG)
    assert configured.returncode == 0, configured.stderr
    _, config = await stored()

    disabled = await run("force", "plugin", "kent", "notify_sms", "--disable")
    assert disabled.returncode == 0, disabled.stderr
    assert "plugin notify_sms disabled for kent" in disabled.stdout
    assert await stored() == (False, config)
    enabled = await run("force", "plugin", "kent", "notify_sms", "--enable")
    assert enabled.returncode == 0, enabled.stderr
    assert await stored() == (True, config)
    async with platform.system_session() as session:
        actions = (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))).all()
    assert actions[-3:] == ["plugin.enabled", "plugin.disabled", "plugin.enabled"]

    # A plugin with nothing stored yet is enabled only with a configuration that fits.
    unconfigured = await run("force", "plugin", "kent", "notify_email")
    assert unconfigured.returncode == 1
    assert "Traceback" not in unconfigured.stderr
    assert "plugin 'notify_email': Object missing required field `provider`" in (
        unconfigured.stderr
    )


async def test_a_postgresql_worker_warns_that_its_key_file_is_this_hosts_own(
    empty_settings: Settings,
) -> None:
    keyless = msgspec.structs.replace(empty_settings, secret_key=None)
    result = await asyncio.to_thread(run_exhibit, keyless, "worker")
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == f"Error: {NO_SCHEMA}"
    warned = "Every host sharing this PostgreSQL database needs the same key" in result.stderr
    assert warned == (not keyless.is_sqlite)
    key = (keyless.data_dir / KEY_FILE_NAME).read_text().strip()
    assert key not in result.stderr + result.stdout


async def test_a_database_missing_a_newer_column_asks_for_exhibit_migrate(
    settings: Settings, platform: Platform
) -> None:
    # A database one revision behind the code: the newest column is not there yet.
    async with platform.engine.begin() as connection:
        for head in head_revisions([MIGRATIONS_DIR / "versions"]):
            await connection.execute(
                text("UPDATE alembic_version SET version_num = '0016' WHERE version_num = :head"),
                {"head": head},
            )
        await connection.execute(text('ALTER TABLE "force" DROP COLUMN logo_sha256'))

    result = await asyncio.to_thread(
        invoke_exhibit, settings, "force", "create", "kent", "--name", "Kent Police"
    )
    assert_one_line_error(
        result, "the database schema is not up to date: run `exhibit migrate` first"
    )
