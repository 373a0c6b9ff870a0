"""An officer's day in Chromium: sign in with a code from an authenticator app, open a case,
ask a witness, see what arrived, look at it, accept one file and decline another, then open
and print each file's continuity history."""

import re
from typing import Any

import httpx

from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from tests.evidence.arrivals import png
from tests.fixtures.browser import open_case_and_ask, submit_password
from tests.fixtures.officer import run_queued_jobs
from tests.fixtures.tus_client import create_upload, patch_chunk, serving
from tests.fixtures.two_factor import make_enrolled_user, next_code

IMAGE_DECODED = (
    "() => { const img = document.querySelector('img[data-preview=image]');"
    " return img !== null && img.complete && img.naturalWidth > 0; }"
)


async def _sign_in(page: Any, base: str, email: str, secret: str) -> None:
    await submit_password(page, base, email)
    assert "/sign-in/code" in page.url
    await page.fill("#code", await next_code(secret))
    async with page.expect_navigation():
        await page.click("text=Continue")


async def _witness_sends(base: str, token: str, files: dict[str, bytes]) -> None:
    """The witness's phone sends each file over tus to the live server."""
    async with httpx.AsyncClient(base_url=base) as http:
        for name, data in files.items():
            path = await create_upload(
                http, token, len(data), {"filename": name, "filetype": "image/png"}
            )
            done = await patch_chunk(http, token, path, 0, data)
            assert done.status_code == 204, done.text


async def _continuity_actions(page: Any) -> list[str]:
    rows = await page.query_selector_all("table[data-continuity] tbody tr")
    return [await row.get_attribute("data-action") for row in rows]


async def test_an_officer_reviews_evidence_and_prints_its_continuity(
    settings: Settings, platform: Platform, builtin_plugins: Plugins, chromium: Any
) -> None:
    officer = await make_enrolled_user(platform, "kent")
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context()).new_page()
        await _sign_in(page, server.url, officer.email, officer.secret)
        await open_case_and_ask(
            page,
            reference="KT/9001/26",
            title="Damage to a car, station car park",
            phone="07911 123456",
        )
        case_url = page.url
        await run_queued_jobs(platform)
        await page.goto(f"{server.url}/outbox")
        found = re.search(r"/u/([A-Za-z0-9_-]{32,})", await page.inner_text("main"))
        assert found, "the outbox shows no upload link"
        await _witness_sends(
            server.url,
            found.group(1),
            {"van.png": png(320, 240, (20, 60, 200)), "sky.png": png(320, 240, (200, 200, 255))},
        )

        await page.goto(case_url)
        evidence = await page.inner_text("#evidence + p")
        assert "2 items" in evidence
        async with page.expect_navigation():
            await page.click("text=van.png")
        van_url = page.url
        await page.wait_for_function(IMAGE_DECODED)  # the preview plays: the image is decoded
        async with page.expect_navigation():
            await page.click("[data-action=accept]")
        assert "Accepted as exhibit T/1." in await page.inner_text("[data-flash]")
        assert await page.inner_text("[data-exhibit-reference]") == "T/1"

        await page.goto(case_url)
        async with page.expect_navigation():
            await page.click("text=sky.png")
        sky_url = page.url
        await page.fill("#decline-reason", "Shows only the sky")
        async with page.expect_navigation():
            await page.click("[data-action=decline]")
        assert await page.inner_text("[data-review-state]") == "declined"
        assert await page.inner_text("[data-decline-reason]") == "Shows only the sky"

        await page.goto(case_url)
        assert "T/1" in await page.inner_text("#bulk table")

        await page.goto(van_url)
        async with page.expect_navigation():
            await page.click("text=Continuity history")
        van_actions = await _continuity_actions(page)
        for action in ("evidence.received", "item.viewed", "item.previewed", "item.accepted"):
            assert action in van_actions, action
        assert van_actions[0] == "evidence.received"
        history = await page.inner_text("table[data-continuity]")
        assert "Sam Witness (witness" in history
        assert "PC Test (officer)" in history
        assert await page.is_visible("[data-print]")  # the Print button (a small script)
        await page.emulate_media(media="print")
        assert not await page.is_visible("nav")  # the print stylesheet hides the app's menu
        assert not await page.is_visible("[data-print]")
        assert await page.is_visible("table[data-continuity]")
        await page.emulate_media(media="screen")

        await page.goto(sky_url.rstrip("/") + "/continuity")
        sky_actions = await _continuity_actions(page)
        assert "item.declined" in sky_actions
        assert "Shows only the sky" in await page.inner_text("table[data-continuity]")
