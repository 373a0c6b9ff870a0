"""The whole journey in Chromium: an officer asks, a witness on a phone sends two files through
a connection that breaks, and both arrive intact on the officer's case."""

import asyncio
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.uploads.models import Upload
from tests.fixtures.browser import open_case_and_ask, submit_password, wait_for_part_of
from tests.fixtures.officer import make_user, run_queued_jobs
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import sha256

PHONE = {"width": 390, "height": 844}
SLOW_PHONE = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": -1,
    "uploadThroughput": 4 * 1024 * 1024,
}
FAST = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
NO_SIGNAL = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def _write(path: Path, head: bytes, size: int) -> bytes:
    data = head + os.urandom(size - len(head))
    path.write_bytes(data)
    return data


async def _officer_asks_for_evidence(page: Any, base: str, email: str) -> None:
    await submit_password(page, base, email)
    await open_case_and_ask(
        page,
        reference="KT/4242/26",
        title="Criminal damage, car park",
        phone="07911 123456",
        message="Please send your videos of the car park on Tuesday night.",
    )


async def _link_from_outbox(page: Any, base: str) -> str:
    await page.goto(f"{base}/outbox")
    found = re.search(r"/u/([A-Za-z0-9_-]{32,})", await page.inner_text("main"))
    assert found, "the outbox shows no upload link"
    return found.group(1)


async def test_an_officer_asks_and_a_witness_sends_through_a_broken_connection(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
    tmp_path: Path,
) -> None:
    officer = await make_user(platform, "kent")
    photo = _write(tmp_path / "car.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", 2 * 1024 * 1024)
    video = _write(
        tmp_path / "car-park.mp4",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
        60 * 1024 * 1024,
    )

    with serving(settings, builtin_plugins) as server:
        desk = await (await chromium.new_context()).new_page()
        await _officer_asks_for_evidence(desk, server.url, officer.email)
        case_url = desk.url
        await run_queued_jobs(platform)
        token = await _link_from_outbox(desk, server.url)

        phone_context = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        phone = await phone_context.new_page()
        network = await phone_context.new_cdp_session(phone)
        await network.send("Network.emulateNetworkConditions", SLOW_PHONE)
        await phone.goto(f"{server.url}/u/{token}")
        await phone.set_input_files(
            "#file-input", [str(tmp_path / "car.jpg"), str(tmp_path / "car-park.mp4")]
        )
        await phone.click("#start-uploads")
        await wait_for_part_of(server.url, token, "car-park.mp4", at_least=0)
        await asyncio.sleep(2)  # a few megabytes into the video's first request

        # The phone loses its signal mid-request: the server keeps the bytes that arrived.
        await network.send("Network.emulateNetworkConditions", NO_SIGNAL)
        await wait_for_part_of(server.url, token, "car-park.mp4")
        # And the server goes away and comes back.
        server.stop()
        await asyncio.sleep(1)
        server.start()

        await network.send("Network.emulateNetworkConditions", FAST)
        await phone.reload()
        await phone.wait_for_selector("#unfinished:not([hidden])")
        assert "car-park.mp4" in await phone.inner_text("#unfinished")
        await phone.set_input_files("#file-input", str(tmp_path / "car-park.mp4"))
        await phone.click("#start-uploads")
        await phone.locator("#received-list li").nth(1).wait_for(timeout=120_000)
        await phone.check("#confirm")
        async with phone.expect_navigation():
            await phone.click("#finish-form button[type=submit]")
        receipt = await phone.inner_text("main")
        assert sha256(photo) in receipt
        assert sha256(video) in receipt

        await desk.goto(case_url)
        case_page = await desk.inner_text("main")
        assert "car.jpg" in case_page
        assert "car-park.mp4" in case_page
        assert sha256(video) in case_page

    async with platform.force_session(officer.force_id) as session:
        uploads = await session.scalar(select(func.count()).select_from(Upload))
    assert uploads == 2  # the video resumed; it was not sent again from the start
