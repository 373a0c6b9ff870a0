"""A server that stops gracefully first lets the parts it answered for land in S3.

A request that ends on a part boundary is answered while its parts are still on their way
(``exhibit_storage_s3.writer``). When the server is told to stop right after such an answer,
it must finish sending and recording those parts before it exits, so that the witness's
next request, to whichever server, goes on at the offset it was given. Parts are slowed
down with a botocore ``before-send`` hook on the store's own client, so that they are
certainly still in flight when the stop comes.
"""

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit_storage_s3.client import s3_client
from exhibit_storage_s3.config import Config
from tests.fixtures.tus_client import LiveServer, create_upload, patch_chunk
from tests.fixtures.witness import Scene
from tests.storage_s3.test_tus import MiB, _landed, _video

pytestmark = pytest.mark.asyncio


class SlowParts:
    """Holds every part for ``delay`` seconds before it goes out; counts the parts sent."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.sent = 0

    def __call__(self, **_: Any) -> None:
        time.sleep(self.delay)
        self.sent += 1


@pytest.fixture
def slow_parts(s3_scene: tuple[Scene, Config]) -> Iterator[SlowParts]:
    _, config = s3_scene
    client = s3_client(config)  # the client the served store uses (one per settings)
    slow = SlowParts(delay=1.5)
    client.meta.events.register("before-send.s3.UploadPart", slow)
    yield slow
    client.meta.events.unregister("before-send.s3.UploadPart", slow)


async def test_parts_in_flight_land_before_the_server_stops(
    settings: Settings,
    s3_plugins: Plugins,
    s3_scene: tuple[Scene, Config],
    s3: Any,
    slow_parts: SlowParts,
) -> None:
    scene, config = s3_scene
    data = _video(40 * MiB + 77)  # 32 MiB = 4 whole parts of 8 MiB, then the rest
    server = LiveServer(settings, s3_plugins)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            location = await create_upload(
                http, scene.token, len(data), {"filename": "v.mp4", "filetype": "video/mp4"}
            )
            answer = await patch_chunk(http, scene.token, location, 0, data[: 32 * MiB])
        assert answer.status_code == 204, answer.text
        assert int(answer.headers["upload-offset"]) == 32 * MiB
        assert slow_parts.sent < 4  # answered while parts were still on their way
    finally:
        server.stop()
    assert slow_parts.sent == 4  # the stop waited for every one of them

    slow_parts.delay = 0
    server.start()  # a fresh app on a fresh event loop, as a restarted process
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            answer = await patch_chunk(http, scene.token, location, 32 * MiB, data[32 * MiB :])
        assert answer.status_code == 204, answer.text
        assert int(answer.headers["upload-offset"]) == len(data)
    finally:
        server.stop()

    await _landed(
        settings, s3_plugins, scene, config, s3, hashlib.sha256(data).hexdigest(), len(data)
    )
