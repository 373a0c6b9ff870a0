"""Previews and downloads: exact bytes, ranges, headers that keep uploads inert, and audit."""

import os

from httpx import Headers

from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.evidence.arrivals import arrived, png, with_derivative
from tests.fixtures.officer import audit_events, browser, sign_in
from tests.fixtures.witness import make_scene
from tests.officer.field_errors import assert_refused_by_field

OFFICER = "officer@kent.test"
SAY_WHY = "Say why you are downloading this"


def _inert(headers: Headers) -> None:
    assert headers["content-disposition"].startswith("attachment;")
    assert headers.get_list("content-security-policy") == ["sandbox"]  # the app's does not win
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["accept-ranges"] == "bytes"


async def test_a_preview_streams_exact_bytes_and_ranges(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    data = png(400, 300)
    item_id = await arrived(platform, scene, data)
    url = f"/items/{item_id}/preview"
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        whole = await client.get(url)
        assert whole.status_code == 200
        assert whole.content == data
        assert whole.headers["content-type"] == "image/png"
        assert whole.headers["content-length"] == str(len(data))
        _inert(whole.headers)

        part = await client.get(url, headers={"Range": "bytes=10-99"})
        assert part.status_code == 206
        assert part.content == data[10:100]
        assert part.headers["content-range"] == f"bytes 10-99/{len(data)}"
        _inert(part.headers)

        tail = await client.get(url, headers={"Range": "bytes=-16"})
        assert tail.status_code == 206
        assert tail.content == data[-16:]
        open_ended = await client.get(url, headers={"Range": f"bytes={len(data) - 5}-"})
        assert open_ended.content == data[-5:]
        past_end = await client.get(url, headers={"Range": f"bytes=0-{len(data) + 100}"})
        assert past_end.status_code == 206
        assert past_end.content == data

        bad = await client.get(url, headers={"Range": f"bytes={len(data)}-"})
        assert bad.status_code == 416
        assert bad.headers["content-range"] == f"bytes */{len(data)}"
        backwards = await client.get(url, headers={"Range": "bytes=50-10"})
        assert backwards.status_code == 416

        head = await client.head(url)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(data))
        _inert(head.headers)

    # Opening the preview (from byte 0) is audited; continuing it (later ranges) is not.
    previewed = await audit_events(platform, scene.force_id, "item.previewed")
    assert len(previewed) == 2  # the whole file, and bytes=0-... past the end
    assert all(e.actor == f"user:{scene.officer_id}" for e in previewed)


async def test_downloads_need_a_reason_and_are_audited(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    data = b"ID3\x04\x00\x00\x00\x00\x00\x00" + os.urandom(5000)  # an MP3 (ID3 tag)
    item_id = await arrived(platform, scene, data, filename="call.mp3", declared_type="audio/mpeg")
    url = f"/items/{item_id}/download"
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        refused = await client.get(url, follow_redirects=False)
        assert_refused_by_field(refused, "download-reason", SAY_WHY, "")
        got = await client.get(url, params={"reason": "For the CPS file"})
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["content-disposition"].startswith('attachment; filename="call.mp3"')
        _inert(got.headers)
        unexplained = await client.get(url, headers={"Range": "bytes=1-"}, follow_redirects=False)
        # A resumed download is one too.
        assert_refused_by_field(unexplained, "download-reason", SAY_WHY, "")
        rest = await client.get(url, params={"reason": "Resuming"}, headers={"Range": "bytes=100-"})
        assert rest.status_code == 206
        assert rest.content == data[100:]
    first, resumed = await audit_events(platform, scene.force_id, "item.downloaded")
    assert (first.reason, first.object_id) == ("For the CPS file", str(item_id))
    assert (resumed.reason, resumed.details["bytes"]) == ("Resuming", [100, len(data)])


async def test_a_blank_reason_shows_the_item_page_again_with_the_error_by_its_field(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    made = await with_derivative(platform, scene, item_id, png(8, 8))
    too_long = "For the CPS " * 42
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        for url in (f"/items/{item_id}/download", f"/derivatives/{made.id}/download"):
            blank = await client.get(url, params={"reason": "  "}, follow_redirects=False)
            assert_refused_by_field(blank, "download-reason", SAY_WHY, "  ")
            assert f'action="/items/{item_id}/download"' in blank.text, url
        long = await client.get(f"/items/{item_id}/download", params={"reason": too_long})
        message = "A reason is at most 500 characters"
        assert_refused_by_field(long, "download-reason", message, too_long)
    assert await audit_events(platform, scene.force_id, "item.downloaded") == []


async def test_an_uploaded_page_or_svg_is_never_served_as_one(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    ids = [
        await arrived(platform, scene, html, filename="x.html", declared_type="text/html"),
        await arrived(platform, scene, svg, filename="x.svg", declared_type="image/svg+xml"),
    ]
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        for item_id, data in zip(ids, (html, svg), strict=True):
            assert (await client.get(f"/items/{item_id}/preview")).status_code == 404
            got = await client.get(f"/items/{item_id}/download", params={"reason": "check"})
            assert got.status_code == 200
            assert got.content == data
            assert got.headers["content-type"] == "application/octet-stream"
            _inert(got.headers)


async def test_a_thumbnail_or_proxy_is_previewed_instead_of_the_original(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    photo = await arrived(platform, scene, png(800, 600))
    thumbnail = png(80, 60)
    made = await with_derivative(platform, scene, photo, thumbnail)
    clip = await arrived(
        platform,
        scene,
        b"\x1a\x45\xdf\xa3" + os.urandom(4000),
        filename="clip.mkv",
        declared_type="video/x-matroska",
    )
    proxy = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(3000)
    await with_derivative(platform, scene, clip, proxy, kind="proxy", media_type="video/mp4")
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        shown = await client.get(f"/items/{photo}/preview")
        assert shown.content == thumbnail
        page = await client.get(f"/items/{photo}")
        assert "Showing the thumbnail made by Pillow" in page.text
        assert made.output_sha256 in page.text  # provenance
        assert "preview for review" in page.text
        video = await client.get(f"/items/{clip}")
        assert 'data-preview="video"' in video.text
        played = await client.get(f"/items/{clip}/preview", headers={"Range": "bytes=0-"})
        assert played.status_code == 206
        assert played.content == proxy
        assert played.headers["content-type"] == "video/mp4"
        _inert(played.headers)
        got = await client.get(f"/derivatives/{made.id}/download", params={"reason": "court"})
        assert got.content == thumbnail
    [previewed, *_] = await audit_events(platform, scene.force_id, "item.previewed")
    assert previewed.details["derivative"] == made.id
