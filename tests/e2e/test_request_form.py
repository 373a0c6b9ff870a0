"""Asking a witness for evidence in Chromium: each channel's contact field is revealed under
its checkbox (GOV.UK's conditional reveal), so a request by email alone needs no detour."""

from pathlib import Path
from typing import Any

from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from tests.fixtures.browser import submit_password
from tests.fixtures.officer import make_user
from tests.fixtures.tus_client import serving

LAPTOP = {"width": 1024, "height": 768}


async def test_an_officer_sends_a_request_by_email_alone_in_one_go(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
) -> None:
    officer = await make_user(platform, "kent")
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context(viewport=LAPTOP)).new_page()
        await submit_password(page, server.url, officer.email)
        await page.fill("#reference", "KT/77/26")
        await page.fill("#title", "Criminal damage")
        async with page.expect_navigation():
            await page.click("text=Open case")
        async with page.expect_navigation():
            await page.click("text=Ask a witness for evidence")

        # Text message is the default: its number shows, the email address waits for a tick.
        assert await page.is_visible("#phone")
        assert await page.is_hidden("#email")
        await page.fill("#recipient_name", "Sam Witness")
        await page.check("#channel-email")
        assert await page.is_visible("#email")
        await page.uncheck("#channel-sms")
        assert await page.is_hidden("#phone")
        await page.fill("#email", "sam@example.org ")
        async with page.expect_navigation():
            await page.click("text=Send the request")
        assert "Evidence request sent to Sam Witness." in await page.inner_text("[data-flash]")
