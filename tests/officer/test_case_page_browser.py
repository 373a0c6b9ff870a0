"""The case page in Chromium at a desktop width: the evidence table fits the page column."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from tests.fixtures.officer import PASSWORD
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import make_scene

DESKTOP = {"width": 1280, "height": 900}
OVERFLOW = """() => {
  const table = document.querySelector("#bulk table");
  const column = document.querySelector("main");
  return {
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    table: table.getBoundingClientRect().right - column.getBoundingClientRect().right,
  };
}"""


async def test_the_evidence_table_fits_a_1280_pixel_window_with_each_full_hash(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
) -> None:
    scene = await make_scene(platform)
    hashes = [f"{n:x}" * 64 for n in range(10, 13)]
    async with platform.force_session(scene.force_id) as session:
        session.add_all(
            EvidenceItem(
                case_id=scene.case_id,
                storage_backend="local",
                storage_key=f"originals/{n}",
                original_filename=f"IMG_20261120_2114{n:02d}_from_the_witness_phone_camera.jpg",
                size=2_500_000,
                sniffed_type="image/jpeg",
                sha256=digest,
                received_at=utcnow() - timedelta(minutes=n),
            )
            for n, digest in enumerate(hashes)
        )
        await session.commit()
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context(viewport=DESKTOP)).new_page()
        await page.goto(f"{server.url}/sign-in")
        await page.fill("#email", "officer@kent.test")
        await page.fill("#password", PASSWORD)
        async with page.expect_navigation():
            await page.click("button[type=submit]")
        await page.goto(f"{server.url}/cases/{scene.case_id}")
        overflow = await page.evaluate(OVERFLOW)
        shown = await page.eval_on_selector_all(
            "#bulk [data-sha256]", "cells => cells.map(c => c.textContent.trim())"
        )
    assert overflow["page"] <= 0 and overflow["table"] <= 0, overflow
    assert sorted(shown) == sorted(hashes)  # the full value, for comparing and copying
