"""Where keyboard focus goes in Chromium when a control goes away or a form fails (WCAG 2.2
2.4.3 focus order, 3.3.1 error identification): on the witness's upload page and on an
officer's form."""

import os
from pathlib import Path
from typing import Any

from exhibit.db.base import utcnow
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.uploads.models import RequestState
from tests.citizen.conftest import set_request
from tests.evidence.arrivals import arrived, png
from tests.fixtures.browser import open_case_and_ask, submit_password
from tests.fixtures.officer import make_user
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import make_scene

PHONE = {"width": 375, "height": 812}
# Slow enough that an upload of a megabyte is still going when the test looks at the page.
SLOW_PHONE = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 65536}
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
FOCUSED = """() => {
  const node = document.activeElement;
  const card = node.closest("li.citizen-file");
  return {
    tag: node.tagName,
    id: node.id,
    text: node.tagName === "BUTTON" ? node.textContent.trim() : "",
    card: card ? card.id : "",
    summary: node.classList.contains("govuk-error-summary"),
  };
}"""


def _photos(folder: Path, *names: str) -> list[str]:
    paths = []
    for name in names:
        path = folder / name
        path.write_bytes(JPEG_HEAD + os.urandom(1024 * 1024))
        paths.append(str(path))
    return paths


async def _upload_page(chromium: Any, base: str, token: str) -> Any:
    context = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{base}/u/{token}")
    await page.wait_for_selector("[data-citizen-upload]:not([hidden])")
    return page


def _button(page: Any, card: str, label: str) -> Any:
    return page.locator(f"#{card} button", has_text=label)


async def _press(page: Any, control: Any) -> dict[str, Any]:
    """Focus ``control``, press Enter as a keyboard user would, and say what has focus then."""
    await control.focus()
    await page.keyboard.press("Enter")
    return dict(await page.evaluate(FOCUSED))


async def test_focus_follows_the_witness_from_upload_to_remove(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
    tmp_path: Path,
) -> None:
    scene = await make_scene(platform, "kent")
    with serving(settings, builtin_plugins) as server:
        page = await _upload_page(chromium, server.url, scene.token)
        network = await page.context.new_cdp_session(page)
        await network.send("Network.emulateNetworkConditions", SLOW_PHONE)
        await page.set_input_files("#file-input", _photos(tmp_path, "a.jpg", "b.jpg"))

        # "Upload files" hides once pressed: focus goes to the first file's Pause button.
        after_upload = await _press(page, page.locator("#start-uploads"))
        assert after_upload["card"] == "file-1"
        assert after_upload["text"] == "Pause a.jpg"

        # Removing a file moves focus to the next file's first control ...
        after_first_removal = await _press(page, _button(page, "file-1", "Remove"))
        assert after_first_removal["id"] == "caption-2"
        # ... and, with no file left, to the control that adds files.
        after_last_removal = await _press(page, _button(page, "file-2", "Remove"))
        assert after_last_removal["id"] == "file-input"
        await page.wait_for_selector("#upload-list li", state="detached", timeout=30_000)
        assert (await page.evaluate(FOCUSED))["id"] == "file-input"


async def test_a_file_the_closed_link_refuses_offers_no_try_again(
    settings: Settings,
    platform: Platform,
    builtin_plugins: Plugins,
    chromium: Any,
    built_assets: Path,
    tmp_path: Path,
) -> None:
    scene = await make_scene(platform, "kent")
    with serving(settings, builtin_plugins) as server:
        page = await _upload_page(chromium, server.url, scene.token)
        await page.set_input_files("#file-input", _photos(tmp_path, "a.jpg"))
        await set_request(
            platform, scene.request_id, state=RequestState.REVOKED, revoked_at=utcnow()
        )
        await _press(page, page.locator("#start-uploads"))
        await page.wait_for_selector("#file-1.citizen-file--failed")

        assert "This link no longer accepts files" in await page.inner_text("#file-1")
        assert await _button(page, "file-1", "Try again").is_hidden()
        assert await _button(page, "file-1", "Remove").is_visible()
        # Pause went with the failure; focus stays in the card, on what is left to do.
        focused = await page.evaluate(FOCUSED)
        assert (focused["card"], focused["text"]) == ("file-1", "Remove a.jpg")


async def test_an_officer_form_that_fails_moves_focus_to_its_error_summary(
    settings: Settings, platform: Platform, builtin_plugins: Plugins, chromium: Any
) -> None:
    officer = await make_user(platform, "kent")
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context()).new_page()
        await submit_password(page, server.url, officer.email)
        await open_case_and_ask(
            page, reference="KT/5150/26", title="Theft from a shop", phone="not a phone number"
        )

        assert "valid mobile number" in await page.inner_text(".govuk-error-summary")
        await page.wait_for_load_state()  # the deferred script has run
        assert (await page.evaluate(FOCUSED))["summary"] is True


async def test_a_decline_without_a_reason_is_explained_by_the_error_summary(
    settings: Settings, platform: Platform, builtin_plugins: Plugins, chromium: Any
) -> None:
    """Not the browser's own bubble: the form goes to the server, which says what is wrong
    in the summary and by the field, and the summary's link takes focus to the field."""
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context()).new_page()
        await submit_password(page, server.url, "officer@kent.test")
        await page.goto(f"{server.url}/items/{item_id}")
        async with page.expect_navigation():
            await page.click("[data-action=decline]")

        summary = page.locator(".govuk-error-summary")
        assert "Give a reason to decline" in await summary.inner_text()
        await page.wait_for_load_state()  # the deferred script has run
        assert (await page.evaluate(FOCUSED))["summary"] is True
        await summary.locator('a[href="#decline-reason"]').click()
        assert (await page.evaluate(FOCUSED))["id"] == "decline-reason"
        assert "Give a reason to decline" in await page.inner_text("#decline-reason-error")


async def test_a_revoke_without_a_reason_reaches_the_server_and_leads_to_its_field(
    settings: Settings, platform: Platform, builtin_plugins: Plugins, chromium: Any
) -> None:
    """The reason sits in a closed "Manage link" in the case's table: the page that comes
    back opens it, so that the summary's link can take focus to the field."""
    scene = await make_scene(platform)
    field = f"revoke-reason-{scene.request_id}"
    with serving(settings, builtin_plugins) as server:
        page = await (await chromium.new_context()).new_page()
        await submit_password(page, server.url, "officer@kent.test")
        await page.goto(f"{server.url}/cases/{scene.case_id}")
        row = page.locator(f"#request-{scene.request_id}")
        await row.locator("summary", has_text="Manage link").click()
        async with page.expect_navigation():
            await row.locator("button", has_text="Revoke link").click()

        summary = page.locator(".govuk-error-summary")
        assert "A reason is required to revoke a request" in await summary.inner_text()
        await page.wait_for_load_state()  # the deferred script has run
        assert (await page.evaluate(FOCUSED))["summary"] is True
        await summary.locator(f'a[href="#{field}"]').click()
        assert (await page.evaluate(FOCUSED))["id"] == field
        assert "A reason is required" in await page.inner_text(f"#{field}-error")
