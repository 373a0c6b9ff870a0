"""In Chromium: the case list says how much arrived since the officer last looked, and the
case page marks those items new, to the eye and in words, on that visit only."""

from datetime import timedelta
from typing import Any

from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from tests.fixtures.browser import submit_password
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import make_scene

NEW_ROWS = "tr[data-new]"


async def test_an_officer_sees_what_is_new_on_a_case_once(
    settings: Settings, platform: Platform, builtin_plugins: Plugins, chromium: Any
) -> None:
    scene = await make_scene(platform)
    async with platform.force_session(scene.force_id) as session:
        for n, name in enumerate(["gate.jpg", "lane.jpg"]):
            session.add(
                EvidenceItem(
                    case_id=scene.case_id,
                    storage_backend="local",
                    storage_key=f"originals/{name}",
                    original_filename=name,
                    size=1000,
                    sniffed_type="image/jpeg",
                    sha256=f"{n:064x}",
                    received_at=utcnow() - timedelta(minutes=n + 1),
                )
            )
        await session.commit()
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context()).new_page()
        await submit_password(page, server.url, "officer@kent.test")
        await page.goto(f"{server.url}/cases")
        new_link = page.locator(f'td[data-new="2"] a[href="/cases/{scene.case_id}#evidence"]')
        assert (await new_link.inner_text()).startswith("2 new")
        assert "since you last opened it" in (await new_link.text_content() or "")

        async with page.expect_navigation():
            await new_link.click()
        rows = page.locator(NEW_ROWS)
        assert await rows.count() == 2
        tag = rows.first.locator(".exhibit-new-tag")
        assert await tag.is_visible()
        assert (await tag.text_content() or "").startswith("New since you last opened this case")
        edge = await rows.first.locator("td").first.evaluate(
            "cell => getComputedStyle(cell).boxShadow"
        )
        assert edge not in ("", "none")  # the bar down the row's edge
        hidden = await tag.locator(".govuk-visually-hidden").evaluate(
            "node => getComputedStyle(node).position"
        )
        assert hidden == "absolute"  # the words are for screen readers, not drawn

        await page.reload()
        assert await page.locator(NEW_ROWS).count() == 0
        assert "Nothing new since you last opened this case" in await page.inner_text("main")
        await page.goto(f"{server.url}/cases")
        assert (
            await page.locator(f'a[href="/cases/{scene.case_id}#evidence"] .govuk-tag').count() == 0
        )
