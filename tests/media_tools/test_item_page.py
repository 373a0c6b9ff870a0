"""The officer's item page says what processing did to each file, and why it failed."""

from litestar.testing import AsyncTestClient

import exhibit_media_tools
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.officer import HOST, sign_in
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome, submit


async def test_the_item_page_says_in_words_why_a_file_could_not_be_processed(
    media_platform: Platform, scene: Scene, settings: Settings
) -> None:
    photo = media.photo(media.scene(), "JPEG", media.exif(), quality=95)
    broken = await submit(media_platform, scene, photo[: len(photo) // 2], "IMG_0007.JPG")
    good = await submit(media_platform, scene, photo, "IMG_0008.JPG")
    app = create_app(settings, load_builtin_plugins([("media_tools", exhibit_media_tools)]))
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in(client, "officer@kent.test")
        waiting = await client.get(f"/items/{broken}")  # nothing has run yet
        assert waiting.status_code == 200
        assert "data-processing" not in waiting.text

        await drain(media_platform)

        (run,) = (await outcome(media_platform, scene.force_id, broken)).runs
        assert run.status == "failed"
        page = await client.get(f"/items/{broken}")
        assert page.status_code == 200
        assert 'data-processing-status="failed"' in page.text
        assert "could not process the file" in page.text
        assert "truncated" in page.text  # the recorded reason, as recorded
        done = await client.get(f"/items/{good}")
        assert done.status_code == 200
        assert 'data-processing-status="succeeded"' in done.text
        assert "could not process the file" not in done.text
