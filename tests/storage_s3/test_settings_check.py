"""The bucket check as a force administrator and an operator meet it: the admin page's
button, the API, ``exhibit force check`` and the warnings a starting process logs.

Each runs against moto's S3 over HTTP, with a bucket that works and then with none.
"""

import html
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from exhibit.accounts.models import Role
from exhibit.forces.plugin_checks import check_in_background
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from exhibit_storage_s3.config import Config
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import HOST, make_user, submit
from tests.fixtures.two_factor import make_enrolled_user, sign_in_with_code
from tests.fixtures.witness import Scene
from tests.web.test_api import _auth, _token

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def platform(settings: Settings, s3_plugins: Plugins) -> AsyncIterator[Platform]:
    """A platform that knows storage_s3, which force kent has enabled."""
    platform = Platform(settings, s3_plugins)
    yield platform
    await platform.close()


async def test_the_admin_page_checks_the_saved_settings_against_the_bucket(
    settings: Settings, s3_scene: tuple[Scene, Config], platform: Platform, s3: Any
) -> None:
    _, config = s3_scene
    admin = await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    app = create_app(settings, load_plugins())
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in_with_code(client, admin)
        page = await client.get("/admin/plugins/storage_s3")
        assert "Check the saved settings" in page.text

        checked = await submit(client, "/admin/plugins/storage_s3/check", {})
        assert checked.status_code == 200
        assert "No problem found: storage_s3 reached its service" in checked.text

        s3.delete_bucket(Bucket=config.bucket)
        try:
            checked = await submit(client, "/admin/plugins/storage_s3/check", {})
        finally:
            s3.create_bucket(Bucket=config.bucket)  # the fixture's teardown expects it
        text = html.unescape(checked.text)
        assert checked.status_code == 200
        assert "storage_s3 cannot work with these settings yet" in text
        assert f"bucket '{config.bucket}' does not exist" in text
        assert "No problem found" not in text

        # Nothing to check for a plugin without saved settings, or one without a check.
        assert (
            "Check the saved settings" not in (await client.get("/admin/plugins/media_tools")).text
        )
        refused = await submit(client, "/admin/plugins/media_tools/check", {})
        assert refused.status_code == 404


async def test_the_api_checks_for_administrators_only(
    settings: Settings, s3_scene: tuple[Scene, Config], platform: Platform, s3: Any
) -> None:
    _, config = s3_scene
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    supervisor = await _token(platform, "kent", Role.SUPERVISOR)
    app = create_app(settings, load_plugins())
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        url = "/api/v1/plugins/force/storage_s3/check"
        answer = await client.post(url, headers=_auth(admin))
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"plugin_id": "storage_s3", "problems": []}

        assert (await client.post(url, headers=_auth(supervisor))).status_code == 403
        unknown = await client.post("/api/v1/plugins/force/nothing/check", headers=_auth(admin))
        assert unknown.status_code == 404

        s3.delete_bucket(Bucket=config.bucket)
        try:
            answer = await client.post(url, headers=_auth(admin))
        finally:
            s3.create_bucket(Bucket=config.bucket)
        assert answer.status_code == 200
        (problem,) = answer.json()["problems"]
        assert problem.startswith(f"bucket '{config.bucket}' does not exist")


async def test_the_cli_checks_every_enabled_plugin_and_exits_1_on_a_problem(
    settings: Settings, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    _, config = s3_scene
    done = invoke_exhibit(settings, "force", "check", "kent")
    assert done.returncode == 0, done.stderr
    assert "storage_s3: settings checked, no problem" in done.stdout

    s3.delete_bucket(Bucket=config.bucket)
    try:
        done = invoke_exhibit(settings, "force", "check", "kent", "storage_s3")
    finally:
        s3.create_bucket(Bucket=config.bucket)
    assert done.returncode == 1
    assert f"problem: storage_s3: bucket '{config.bucket}' does not exist" in done.stderr

    refused = invoke_exhibit(settings, "force", "check", "kent", "media_tools")
    assert refused.returncode == 1
    assert "plugin 'media_tools' offers no check of its settings" in refused.stderr


async def test_a_starting_process_logs_what_the_check_finds(
    settings: Settings,
    s3_scene: tuple[Scene, Config],
    platform: Platform,
    s3: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, config = s3_scene
    await make_user(platform, "essex")  # a force without the plugin: nothing to say
    caplog.set_level(logging.INFO, logger="exhibit.forces.plugin_checks")
    s3.delete_bucket(Bucket=config.bucket)
    try:
        check_in_background(settings).join(timeout=60)
    finally:
        s3.create_bucket(Bucket=config.bucket)
    found = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("exhibit")]
    assert len(found) == 1, found
    level, message = found[0]
    assert level == "WARNING"
    assert message.startswith(f"force kent, plugin storage_s3: bucket '{config.bucket}' does not")
