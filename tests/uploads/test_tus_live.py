"""The tus server over real HTTP (uvicorn on a loopback port): races, broken and endless bodies."""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator

import httpx
from sqlalchemy import select

from exhibit.evidence.models import EvidenceItem
from exhibit.platform import Platform
from exhibit.uploads.models import Upload
from tests.fixtures.tus_client import (
    LiveServer,
    create_upload,
    head_offset,
    patch_chunk,
    tus_headers,
)
from tests.fixtures.witness import Scene

OFFSET_STREAM = "application/offset+octet-stream"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


async def stored_item(platform: Platform, force_id: int) -> EvidenceItem:
    async with platform.force_session(force_id) as session:
        item: EvidenceItem | None = await session.scalar(select(EvidenceItem))
    assert item is not None
    return item


async def wait_for_lease(platform: Platform, force_id: int, path: str, *, held: bool) -> None:
    """Poll the upload row until its lease is (or is no longer) held."""
    public_id = path.rsplit("/", 1)[1]
    for _ in range(500):
        async with platform.force_session(force_id) as session:
            locked_by = await session.scalar(
                select(Upload.locked_by).where(Upload.public_id == public_id)
            )
        if (locked_by is not None) == held:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"lease never {'taken' if held else 'released'}")


async def test_a_second_patch_while_one_streams_is_locked_out(
    live_server: LiveServer, platform: Platform, scene: Scene
) -> None:
    data = MP4_HEAD + os.urandom(600_000)
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield data[:200_000]
        await release.wait()
        yield data[200_000:]

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        path = await create_upload(http, scene.token, len(data))
        headers = tus_headers(scene.token, Upload_Offset="0", Content_Type=OFFSET_STREAM)
        slow = asyncio.create_task(http.patch(path, headers=headers, content=slow_body()))
        await wait_for_lease(platform, scene.force_id, path, held=True)

        intruder = await patch_chunk(http, scene.token, path, 0, os.urandom(len(data)))
        assert intruder.status_code == 423
        assert intruder.headers["tus-resumable"] == "1.0.0"
        release.set()
        finished = await slow
        assert (finished.status_code, finished.headers["upload-offset"]) == (204, str(len(data)))

    item = await stored_item(platform, scene.force_id)
    assert item.sha256 == hashlib.sha256(data).hexdigest()


async def test_racing_patches_one_wins_and_the_content_is_intact(
    live_server: LiveServer, platform: Platform, scene: Scene
) -> None:
    streams = [MP4_HEAD + os.urandom(3_000_000), MP4_HEAD + os.urandom(3_000_000)]
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        path = await create_upload(http, scene.token, len(streams[0]))
        results = await asyncio.gather(
            *(patch_chunk(http, scene.token, path, 0, data) for data in streams)
        )
    statuses = sorted(r.status_code for r in results)
    assert statuses[0] == 204
    assert statuses[1] in (409, 423)
    winner = streams[[r.status_code for r in results].index(204)]
    item = await stored_item(platform, scene.force_id)
    assert item.sha256 == hashlib.sha256(winner).hexdigest()


async def test_a_dropped_connection_keeps_what_arrived_and_resumes(
    live_server: LiveServer, platform: Platform, scene: Scene
) -> None:
    data = MP4_HEAD + os.urandom(4_000_000)
    sent = 1_500_000
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        path = await create_upload(http, scene.token, len(data))

        _reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
            f"Exhibit-Upload-Token: {scene.token}\r\nUpload-Offset: 0\r\n"
            f"Content-Type: {OFFSET_STREAM}\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        writer.write(head.encode() + data[:sent])
        await writer.drain()
        await wait_for_lease(platform, scene.force_id, path, held=True)
        writer.close()  # the phone loses its signal
        await wait_for_lease(platform, scene.force_id, path, held=False)

        offset = await head_offset(http, scene.token, path)
        assert offset == sent  # every byte that arrived was kept and counted
        resumed = await patch_chunk(http, scene.token, path, offset, data[offset:])
        assert resumed.status_code == 204

    item = await stored_item(platform, scene.force_id)
    assert item.sha256 == hashlib.sha256(data).hexdigest()


async def test_a_chunked_body_past_the_length_is_discarded(
    live_server: LiveServer, platform: Platform, scene: Scene
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"z" * 65_536

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        path = await create_upload(http, scene.token, 1_000_000)
        assert (await patch_chunk(http, scene.token, path, 0, b"a" * 1000)).status_code == 204
        headers = tus_headers(scene.token, Upload_Offset="1000", Content_Type=OFFSET_STREAM)
        refused = await http.patch(path, headers=headers, content=endless())
        assert refused.status_code == 413
        assert await head_offset(http, scene.token, path) == 1000
