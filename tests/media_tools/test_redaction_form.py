"""The officer's redaction form: own force only, CSRF-protected, audited, made by a job."""

from litestar.testing import AsyncTestClient

import exhibit_media_tools
from exhibit.accounts.models import Role
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.officer import HOST, audit_events, make_user, sign_in, submit
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome
from tests.media_tools.conftest import submit as witness_sends


async def test_an_officer_asks_for_a_redacted_copy_through_the_form(
    media_platform: Platform, scene: Scene, settings: Settings
) -> None:
    photo = media.photo(media.face_scene(), "JPEG", media.exif(), quality=95)
    item_id = await witness_sends(media_platform, scene, photo, "IMG_0200.JPG")
    other = await make_user(media_platform, "essex", Role.OFFICER)
    url = f"/plugins/media_tools/kent/items/{item_id}/redaction"
    app = create_app(settings, load_builtin_plugins([("media_tools", exhibit_media_tools)]))
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in(client, "officer@kent.test")
        form = await client.get(url)
        assert form.status_code == 200
        assert "Blur every face found" in form.text
        bad = await submit(client, url, {"reason": "defence", "boxes": "1,2,three,4"})
        assert bad.status_code == 400
        assert "Area 1 must be four whole numbers" in bad.text
        no_token = await client.post(url, data={"reason": "x", "detect_faces": "yes"})
        assert no_token.status_code == 403
        asked = await submit(
            client,
            url,
            {"reason": "disclosure to the defence", "detect_faces": "yes",
             "boxes": "450, 300, 120, 100", "disclosure": "yes"},
        )  # fmt: skip
        assert asked.status_code == 200  # followed to the item page
        assert (await client.get("/plugins/media_tools/essex/items/1/redaction")).status_code == 404
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in(client, other.email)
        assert (await client.get(url)).status_code == 404  # another force's officer

    await drain(media_platform)
    result = await outcome(media_platform, scene.force_id, item_id)
    kinds = {d.kind: d for d in result.derivatives}
    assert {"redacted", "disclosure"} <= set(kinds)
    assert kinds["redacted"].parameters["officer_boxes"] == [[450, 300, 120, 100]]
    [requested] = await audit_events(media_platform, scene.force_id, "redaction.requested")
    assert requested.actor == f"user:{scene.officer_id}"
    assert requested.reason == "disclosure to the defence"
