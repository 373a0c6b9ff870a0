"""Reviewing a case's evidence one item after another in Chromium, with the keyboard only:
the officer finds the case from the list, and each accept or decline is one page load that
lands on the next item waiting for review, with focus on what was done (WCAG 2.2 2.4.3)."""

from pathlib import Path
from typing import Any

from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from tests.evidence.arrivals import arrived, png
from tests.fixtures.browser import submit_password
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import make_scene

LAPTOP = {"width": 1024, "height": 768}
# Which element has focus, and whether the Accept button comes before the file's capture
# metadata and derivatives (so it is reached without scrolling past them).
FOCUS = "() => document.activeElement.matches('[data-flash]')"
ACTIONS_FIRST = """() => {
  const accept = document.querySelector('[data-action=accept]');
  const headings = [...document.querySelectorAll('h2')];
  const metadata = headings.find(h => h.textContent === 'Capture metadata');
  const download = document.querySelector('#download-reason');
  return Boolean(accept.compareDocumentPosition(metadata) & Node.DOCUMENT_POSITION_FOLLOWING)
    && Boolean(accept.compareDocumentPosition(download) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


async def _tabs_to(page: Any, selector: str, most: int) -> int | None:
    """How many presses of Tab move focus to ``selector`` (None if ``most`` do not)."""
    for presses in range(1, most + 1):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return presses
    return None


async def test_an_officer_reviews_a_batch_one_page_load_per_item_by_keyboard(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
) -> None:
    scene = await make_scene(platform)  # case KENT/123/26
    for n, name in enumerate(("first.png", "second.png", "third.png")):
        await arrived(platform, scene, png(colour=(n, 40, 40)), filename=name)
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context(viewport=LAPTOP)).new_page()
        loads: list[str] = []
        page.on("framenavigated", lambda frame: loads.append(frame.url))
        await submit_password(page, server.url, "officer@kent.test")

        # The case list says where evidence is waiting, and links straight to it.
        waiting = page.locator(f"td[data-waiting] a[href='/cases/{scene.case_id}#evidence']")
        assert " ".join((await waiting.inner_text()).split()) == "3 waiting on KENT/123/26"
        async with page.expect_navigation():
            await waiting.click()
        async with page.expect_navigation():
            await page.click("text=third.png")  # the newest, at the top of the list
        assert await page.evaluate(ACTIONS_FIRST)

        loads.clear()
        await page.focus("[data-action=accept]")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert "third.png: Accepted as exhibit T/1." in await page.inner_text("[data-flash]")
        assert "second.png" in await page.inner_text("h1")
        await page.wait_for_load_state()  # the deferred script has run
        assert await page.evaluate(FOCUS)  # what was done is announced ...
        assert await _tabs_to(page, "#decline-reason", 8) is not None  # ... the form is close

        await page.keyboard.type("Shows only the sky")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert "second.png: Declined." in await page.inner_text("[data-flash]")
        assert "first.png" in await page.inner_text("h1")
        await page.wait_for_load_state()
        assert await page.evaluate(FOCUS)

        assert await _tabs_to(page, "[data-action=accept]", 8) is not None
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        # The last one waiting: the officer stays on it, and sees its exhibit reference.
        assert "first.png" in await page.inner_text("h1")
        assert await page.inner_text("[data-exhibit-reference]") == "T/2"
        assert len(loads) == 3  # one page load per item reviewed
