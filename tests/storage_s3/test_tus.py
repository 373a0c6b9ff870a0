"""Uploads through the real tus server land in S3 (moto over HTTP) as one object, hash intact."""

import asyncio
import hashlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from tusclient.client import TusClient

from exhibit.evidence.models import EvidenceItem
from exhibit.forces.models import ForcePlugin
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.uploads.models import Upload
from exhibit.web.app import create_app
from exhibit_storage_s3.config import Config
from tests.fixtures.tus_client import (
    TOKEN_HEADER,
    create_upload,
    head_offset,
    patch_chunk,
    serving,
    tus_headers,
)
from tests.fixtures.witness import Scene, script_config
from tests.storage_s3.s3_objects import multipart_uploads, object_sha256, staged_keys

pytestmark = pytest.mark.asyncio

MiB = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def _video(size: int) -> bytes:
    data = os.urandom(size)
    return MP4_HEAD + data[len(MP4_HEAD) :]


@pytest.fixture(scope="module")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A 100 MB file that looks like an MP4, and its SHA-256."""
    path = tmp_path_factory.mktemp("s3-tus") / "witness-video.mp4"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for index in range(100):
            block = os.urandom(MiB)
            if index == 0:
                block = MP4_HEAD + block[len(MP4_HEAD) :]
            digest.update(block)
            out.write(block)
    yield path, digest.hexdigest()
    path.unlink()


async def _item(settings: Settings, plugins: Plugins, force_id: int) -> EvidenceItem:
    platform = Platform(settings, plugins)
    try:
        async with platform.force_session(force_id) as session:
            item: EvidenceItem | None = await session.scalar(select(EvidenceItem))
    finally:
        await platform.close()
    assert item is not None
    return item


async def _landed(
    settings: Settings,
    plugins: Plugins,
    scene: Scene,
    config: Config,
    s3: Any,
    data_sha256: str,
    size: int,
) -> EvidenceItem:
    """The force's evidence item, checked against the one object in S3 (size and SHA-256),
    with no multipart upload left behind.
    """
    item = await _item(settings, plugins, scene.force_id)
    assert (item.sha256, item.size) == (data_sha256, size)
    assert object_sha256(s3, config.bucket, config.prefix + item.storage_key) == (size, data_sha256)
    assert multipart_uploads(s3, config.bucket) == []
    return item


async def test_100_mb_through_tus_lands_as_one_object(
    settings: Settings,
    s3_plugins: Plugins,
    s3_scene: tuple[Scene, Config],
    s3: Any,
    video_file: tuple[Path, str],
) -> None:
    scene, config = s3_scene
    path, expected = video_file
    meta = {"filename": "witness-video.mp4", "filetype": "video/mp4", "sha256": expected}
    with serving(settings, s3_plugins) as server:
        client = TusClient(f"{server.url}/uploads/", headers={TOKEN_HEADER: scene.token})
        # 7 MiB chunks against 8 MiB parts: most requests end mid-part, leaving a tail.
        uploader = client.uploader(
            file_path=str(path), chunk_size=7 * MiB, metadata=meta, upload_checksum=True
        )
        await asyncio.to_thread(uploader.upload)
        assert uploader.offset == 100 * MiB

    item = await _landed(settings, s3_plugins, scene, config, s3, expected, 100 * MiB)
    assert item.sniffed_type == "video/mp4"
    assert staged_keys(s3, config.bucket, config.prefix) == []


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_app_instances_take_alternate_chunks(
    settings: Settings, s3_plugins: Plugins, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    scene, config = s3_scene
    data = _video(29 * MiB + 333)
    cuts = [0, 3 * MiB, 9 * MiB + 1, 10 * MiB, 17 * MiB + 5, 26 * MiB, len(data)]
    with serving(settings, s3_plugins) as first, serving(settings, s3_plugins) as second:
        assert first.port != second.port
        servers = [first, second]
        async with httpx.AsyncClient(base_url=first.url, timeout=60) as http:
            location = await create_upload(
                http, scene.token, len(data), {"filename": "v.mp4", "filetype": "video/mp4"}
            )
        for index, (start, end) in enumerate(itertools.pairwise(cuts)):
            server = servers[index % 2]
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                answer = await patch_chunk(http, scene.token, location, start, data[start:end])
            assert answer.status_code == 204, answer.text
            assert int(answer.headers["upload-offset"]) == end

    expected = hashlib.sha256(data).hexdigest()
    await _landed(settings, s3_plugins, scene, config, s3, expected, len(data))


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_whole_part_chunks_alternate_between_instances_as_a_tus_client_retries(
    settings: Settings, s3_plugins: Plugins, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    """Requests ending on part boundaries are answered while their parts travel.

    The other instance finds the upload claimed until they are recorded: it answers 423 (or
    409 with the real offset), and the client asks where the upload stands and sends again,
    as tus-js-client does. Nothing is lost or written twice.
    """
    scene, config = s3_scene
    chunk = 2 * config.part_size
    data = _video(5 * chunk + 12_345)
    busy = 0
    with serving(settings, s3_plugins) as first, serving(settings, s3_plugins) as second:
        servers = [first, second]
        async with httpx.AsyncClient(base_url=first.url, timeout=60) as http:
            location = await create_upload(
                http, scene.token, len(data), {"filename": "v.mp4", "filetype": "video/mp4"}
            )
        offset, turn = 0, 0
        while offset < len(data):
            async with httpx.AsyncClient(base_url=servers[turn % 2].url, timeout=60) as http:
                answer = await patch_chunk(
                    http, scene.token, location, offset, data[offset : offset + chunk]
                )
                if answer.status_code in (409, 423):
                    busy += 1
                    assert busy < 200, "the upload never came free"
                    await asyncio.sleep(0.05)
                    offset = await head_offset(http, scene.token, location)
                    continue
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["upload-offset"])
            turn += 1

    expected = hashlib.sha256(data).hexdigest()
    await _landed(settings, s3_plugins, scene, config, s3, expected, len(data))
    assert staged_keys(s3, config.bucket, config.prefix) == []


async def test_a_refused_checksum_is_cut_back_in_s3(
    settings: Settings, s3_plugins: Plugins, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    """A chunk whose checksum fails is truncated out of the S3 upload; the retry lands."""
    import base64

    scene, config = s3_scene
    data = _video(12 * MiB)
    with serving(settings, s3_plugins) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            location = await create_upload(
                http, scene.token, len(data), {"filename": "v.mp4", "filetype": "video/mp4"}
            )
            first = await patch_chunk(http, scene.token, location, 0, data[: 5 * MiB])
            assert first.status_code == 204
            wrong = base64.b64encode(hashlib.sha1(b"not this").digest()).decode()
            refused = await patch_chunk(
                http,
                scene.token,
                location,
                5 * MiB,
                data[5 * MiB :],
                Upload_Checksum=f"sha1 {wrong}",
            )
            assert refused.status_code == 460, refused.text
            right = base64.b64encode(hashlib.sha1(data[5 * MiB :]).digest()).decode()
            retried = await patch_chunk(
                http,
                scene.token,
                location,
                5 * MiB,
                data[5 * MiB :],
                Upload_Checksum=f"sha1 {right}",
            )
            assert retried.status_code == 204, retried.text

    item = await _item(settings, s3_plugins, scene.force_id)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert object_sha256(s3, config.bucket, config.prefix + item.storage_key)[1] == item.sha256


async def test_the_database_keeps_the_upload_state(
    settings: Settings, s3_plugins: Plugins, s3_scene: tuple[Scene, Config]
) -> None:
    """The multipart upload id and part list live in the upload row, for any process."""
    scene, _ = s3_scene
    data = _video(9 * MiB)
    with serving(settings, s3_plugins) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            location = await create_upload(http, scene.token, 20 * MiB, {"filename": "v.mp4"})
            answer = await patch_chunk(http, scene.token, location, 0, data)
            assert answer.status_code == 204
    platform = Platform(settings, s3_plugins)
    try:
        async with platform.force_session(scene.force_id) as session:
            upload = await session.scalar(select(Upload))
    finally:
        await platform.close()
    assert upload is not None
    state = upload.storage_state
    assert upload.storage_backend == "s3"
    assert isinstance(state["upload_id"], str) and state["upload_id"]
    assert state["size"] == 9 * MiB
    assert [(n, size) for n, _, size in state["parts"]] == [(1, 8 * MiB)]


async def test_the_witness_page_sends_whole_parts_per_request(
    settings: Settings, s3_plugins: Plugins, s3_scene: tuple[Scene, Config]
) -> None:
    """Requests end on part boundaries (answered while their parts travel): 8 parts of 8 MiB."""
    scene, config = s3_scene
    async with AsyncTestClient(app=create_app(settings, s3_plugins)) as client:
        page = await client.get(f"/u/{scene.token}")
    assert page.status_code == 200
    assert script_config(page.text)["chunkSize"] == 8 * config.part_size == 64 * MiB


async def test_a_force_that_disables_its_store_gets_a_clear_503(
    settings: Settings, s3_plugins: Plugins, s3_scene: tuple[Scene, Config]
) -> None:
    """Storage set to S3 with the plugin switched off: the witness's client is told to retry."""
    scene, _ = s3_scene
    setup = Platform(settings, s3_plugins)
    try:
        async with setup.force_session(scene.force_id) as session:
            await session.execute(
                update(ForcePlugin)
                .where(ForcePlugin.plugin_id == "storage_s3")
                .values(enabled=False)
            )
            await session.commit()
    finally:
        await setup.close()
    with serving(settings, s3_plugins) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            answer = await http.post(
                "/uploads/", headers=tus_headers(scene.token, Upload_Length="10")
            )

    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "10"
    assert "storage is unavailable" in answer.text
    item_count = await _count_uploads(settings, s3_plugins, scene.force_id)
    assert item_count == 0


async def _count_uploads(settings: Settings, plugins: Plugins, force_id: int) -> int:
    platform = Platform(settings, plugins)
    try:
        async with platform.force_session(force_id) as session:
            return len((await session.scalars(select(Upload))).all())
    finally:
        await platform.close()
