"""The citizen pages in a real browser at phone size: uploading with the page's script,
resuming after a reload, and WCAG 2.2 AA checked by axe-core on every page on the way."""

import asyncio
import io
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.logo import prepare_logo, set_logo
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.uploads.models import Upload
from tests.citizen.conftest import set_force, set_request
from tests.fixtures.browser import wait_for_part_of
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import make_scene, sha256

AXE = Path(__file__).parents[2] / "web-assets" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 375, "height": 812}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(
    256 * 1024
)


async def _phone(chromium: Any) -> Any:
    # axe is injected as an inline script, which the pages' CSP rightly forbids.
    context = await chromium.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, bypass_csp=True
    )
    return await context.new_page()


async def _axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"rule": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


@pytest.fixture
def axe_script(built_assets: Path) -> Path:
    """axe-core from web-assets' node_modules (a dev dependency, never served)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing although the assets are built: run npm ci in web-assets")
    return AXE


async def test_a_witness_sends_a_file_from_a_phone_and_every_page_passes_axe(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    axe_script: Path,
    tmp_path: Path,
) -> None:
    scene = await make_scene(
        platform, "kent", message="Please send the video of the car.", incident_place="High St"
    )
    await set_force(platform, scene.force_id, welsh_enabled=True, privacy_notice="We keep it.")
    logo = io.BytesIO()
    Image.new("RGB", (400, 100), "navy").save(logo, "PNG")
    async with force_transaction(platform, scene.force_id) as tx:
        await set_logo(tx, prepare_logo(logo.getvalue()), actor="test")
    expired = await make_scene(platform, "essex")
    await set_request(platform, expired.request_id, expires_at=utcnow())
    photo = tmp_path / "car.jpg"
    photo.write_bytes(JPEG)
    found: dict[str, list[dict[str, Any]]] = {}

    with serving(settings, builtin_plugins) as server:
        page = await _phone(chromium)
        await page.goto(f"{server.url}/u/{scene.token}")
        await page.wait_for_selector("[data-citizen-upload]:not([hidden])")
        # The force's logo loads (the page's own policy allows it) above the force's name.
        assert (
            await page.eval_on_selector(".citizen-header__logo", "img => img.naturalWidth") == 400
        )
        found["upload page"] = await _axe(page)
        await page.goto(f"{server.url}/u/{scene.token}?lang=cy")
        await page.wait_for_selector("[data-citizen-upload]:not([hidden])")
        assert await page.get_attribute("html", "lang") == "cy"
        found["upload page in Welsh"] = await _axe(page)
        await page.goto(f"{server.url}/u/{scene.token}?lang=en")

        await page.set_input_files("#file-input", str(photo))
        await page.fill("#caption-1", "The red car")
        found["file chosen"] = await _axe(page)

        await page.click("#start-uploads")
        await page.wait_for_selector("#received-list li")
        assert "car.jpg" in await page.inner_text("#received-list")
        assert await page.locator("#upload-list li").count() == 0
        found["file received"] = await _axe(page)

        async with page.expect_navigation():
            await page.click("#finish-form button[type=submit]")
        assert "Confirm that these files are yours" in await page.inner_text(".govuk-error-summary")
        found["send without confirming"] = await _axe(page)

        await page.check("#confirm")
        async with page.expect_navigation():
            await page.click("#finish-form button[type=submit]")
        assert page.url.endswith(f"/u/{scene.token}/receipt")
        assert sha256(JPEG) in await page.inner_text("main")
        found["receipt"] = await _axe(page)

        await page.goto(f"{server.url}/u/{scene.token}/receipt?lang=cy")
        assert await page.get_attribute("html", "lang") == "cy"
        found["receipt in Welsh"] = await _axe(page)

        await page.goto(f"{server.url}/u/{expired.token}")
        found["expired link"] = await _axe(page)
        await page.goto(f"{server.url}/u/no-such-link")
        found["unknown link"] = await _axe(page)

    assert found == {name: [] for name in found}
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert (item.original_filename, item.caption, item.sha256) == (
        "car.jpg",
        "The red car",
        sha256(JPEG),
    )


async def test_an_upload_resumes_after_a_reload_when_the_same_file_is_chosen(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
    tmp_path: Path,
) -> None:
    scene = await make_scene(platform, "kent")
    video = tmp_path / "clip.mp4"
    data = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(12 * 1024 * 1024)
    video.write_bytes(data)

    with serving(settings, builtin_plugins) as server:
        page = await _phone(chromium)
        network = await page.context.new_cdp_session(page)
        # A slow phone connection, so that the reload lands part-way through.
        await network.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 20,
                "downloadThroughput": -1,
                "uploadThroughput": 2 * 1024 * 1024,
            },
        )
        await page.goto(f"{server.url}/u/{scene.token}")
        await page.set_input_files("#file-input", str(video))
        await page.click("#start-uploads")
        await wait_for_part_of(server.url, scene.token, "clip.mp4", at_least=0)
        await asyncio.sleep(1.5)  # a few megabytes into the file's one request

        await page.reload()  # the request breaks off; the server keeps what arrived
        await wait_for_part_of(server.url, scene.token, "clip.mp4")
        await network.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        assert "clip.mp4" in await page.inner_text("#unfinished")
        await page.set_input_files("#file-input", str(video))
        await page.click("#start-uploads")
        await page.wait_for_selector("#received-list li", timeout=60_000)
        assert await page.is_hidden("#unfinished")

    async with platform.force_session(scene.force_id) as session:
        uploads = await session.scalar(select(func.count()).select_from(Upload))
        item = await session.scalar(select(EvidenceItem))
    assert uploads == 1  # resumed, not started again
    assert item is not None
    assert (item.size, item.sha256) == (len(data), sha256(data))
