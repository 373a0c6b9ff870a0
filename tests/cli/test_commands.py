"""The ``exhibit`` command as an operator uses it."""

import asyncio
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from exhibit.cli.main import cli
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.cli import invoke_exhibit, run_exhibit

COMMANDS = [
    "serve",
    "worker",
    "migrate",
    "demo",
    "secret-key",
    "force",
    "user",
    "token",
    "plugins",
    "audit",
]


def test_plugins_list_shows_the_core_and_the_five_plugins_with_versions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="sqlite+aiosqlite:///unused")
    listing = run_exhibit(settings, "plugins", "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert re.match(r"exhibit \(core\)\s+0\.1\.0", lines[0])
    for plugin_id, distribution, summary in [
        ("notify_sms", "exhibit-notify-sms", "SMS delivery of upload links and receipts"),
        ("notify_email", "exhibit-notify-email", "Email delivery of upload links and receipts"),
        ("storage_s3", "exhibit-storage-s3", "Evidence storage in S3 and S3-compatible stores"),
        ("share_cps", "exhibit-share-cps", "Sharing evidence with the Crown Prosecution Service"),
        (
            "media_tools",
            "exhibit-media-tools",
            "Metadata, previews, originality checks and redaction",
        ),
    ]:
        shape = rf"{plugin_id}\s+0\.1\.0\s+{distribution}\s+{summary}$"
        assert any(re.match(shape, line) for line in lines), shape
    local = r"local_storage\s+0\.1\.0\s+built in\s+Evidence storage in a folder on this server$"
    assert any(re.match(local, line) for line in lines)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str) -> None:
    helped = CliRunner().invoke(cli, [command, "--help"])
    assert helped.exit_code == 0
    assert f"Usage: exhibit {command}" in helped.output
    assert len(helped.output.splitlines()) > 4


async def test_an_administrator_sets_up_a_force_from_the_command_line(platform: Platform) -> None:
    settings = platform.settings

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(invoke_exhibit, settings, *args)

    async def run_in_a_process(*args: str) -> subprocess.CompletedProcess[str]:
        # `exhibit user` has its real process here; the other commands have theirs in
        # test_operator_errors.py.
        return await asyncio.to_thread(run_exhibit, settings, *args)

    created = await run("force", "create", "kent", "--name", "Kent Police")
    assert created.returncode == 0, created.stderr
    again = await run("force", "create", "kent", "--name", "Kent Police")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr

    user = await run_in_a_process(
        "user",
        "create",
        "Admin@Kent.example",
        "--force",
        "kent",
        "--name",
        "A. Admin",
        "--role",
        "force_admin",
        "--password",
        "a long enough password",
    )
    assert user.returncode == 0, user.stderr
    weak = await run(
        "user", "create", "x@kent.example", "--force", "kent", "--name", "X", "--password", "short"
    )
    assert weak.returncode == 1
    assert "at least 12 characters" in weak.stderr

    token = await run("token", "create", "admin@kent.example")
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().startswith("exh_")
    assert len(token.stdout.splitlines()) == 1  # only the token, for scripts
    assert "shown once only" in token.stderr

    enabled = await run("force", "plugin", "kent", "share_cps")
    assert enabled.returncode == 0, enabled.stderr
    unknown = await run("force", "plugin", "kent", "no_such_plugin")
    assert unknown.returncode == 1
    assert "no installed plugin 'no_such_plugin'" in unknown.stderr
    bad_json = await run("force", "plugin", "kent", "share_cps", "--config", "{oops")
    assert bad_json.returncode == 2
    assert "not JSON" in bad_json.stderr

    verified = await run("audit", "verify")
    assert verified.returncode == 0
    assert "kent: ok (4 events; head 4:" in verified.stdout
