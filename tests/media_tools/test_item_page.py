"""The officer's item page says what processing did to each file, and why it failed."""

from litestar.testing import AsyncTestClient

import exhibit_media_tools
from exhibit.accounts.models import Role
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.officer import HOST, audit_events, sign_in
from tests.fixtures.officer import submit as submit_form
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome, submit
from tests.web.test_api import _auth, _token


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


async def test_processing_that_failed_can_run_again_and_a_success_is_never_repeated(
    media_platform: Platform, scene: Scene, settings: Settings
) -> None:
    photo = media.photo(media.scene(), "JPEG", media.exif(), quality=95)
    broken = await submit(media_platform, scene, photo[: len(photo) // 2], "IMG_0007.JPG")
    good = await submit(media_platform, scene, photo, "IMG_0008.JPG")
    await drain(media_platform)
    app = create_app(settings, load_builtin_plugins([("media_tools", exhibit_media_tools)]))
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in(client, "officer@kent.test")
        page = await client.get(f"/items/{broken}")
        assert "data-process-again" in page.text
        asked = await submit_form(client, f"/items/{broken}/process-again", {})
        assert "Processing queued again (media_tools)" in asked.text
        await drain(media_platform)
        runs = (await outcome(media_platform, scene.force_id, broken)).runs
        assert [run.status for run in runs] == ["failed", "failed"]  # still truncated
        assert len((await client.get(f"/items/{broken}")).text.split("data-processing-status")) == 3

        assert "data-process-again" not in (await client.get(f"/items/{good}")).text
        refused = await submit_form(client, f"/items/{good}/process-again", {})
        assert "There is nothing to process again" in refused.text
        await drain(media_platform)
        (run,) = (await outcome(media_platform, scene.force_id, good)).runs
        assert run.status == "succeeded"

    (event,) = await audit_events(media_platform, scene.force_id, "item.processing_requested")
    assert (event.object_id, event.details) == (str(broken), {"processors": ["media_tools"]})
    assert event.actor.startswith("user:")


async def test_an_integrator_may_ask_for_failed_processing_to_run_again(
    media_platform: Platform, scene: Scene, settings: Settings
) -> None:
    photo = media.photo(media.scene(), "JPEG", media.exif(), quality=95)
    broken = await submit(media_platform, scene, photo[: len(photo) // 2], "IMG_0007.JPG")
    good = await submit(media_platform, scene, photo, "IMG_0008.JPG")
    await drain(media_platform)
    token = await _token(media_platform, "kent", Role.SUPERVISOR)
    app = create_app(settings, load_builtin_plugins([("media_tools", exhibit_media_tools)]))
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        asked = await client.post(f"/api/v1/items/{broken}/process-again", headers=_auth(token))
        assert asked.status_code == 201, asked.text
        assert asked.json() == {"item_id": broken, "processors": ["media_tools"]}
        refused = await client.post(f"/api/v1/items/{good}/process-again", headers=_auth(token))
        assert refused.status_code == 400
        assert "nothing to process again" in refused.json()["detail"]
    await drain(media_platform)
    runs = (await outcome(media_platform, scene.force_id, broken)).runs
    assert [run.status for run in runs] == ["failed", "failed"]
