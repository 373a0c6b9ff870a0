"""A real tus client (tuspy) uploads 200 MB, is interrupted, resumes on a restarted server."""

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from tusclient.client import TusClient

from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from tests.fixtures.tus_client import TOKEN_HEADER, serving
from tests.fixtures.witness import Scene

MiB = 1024 * 1024
SIZE = 200 * MiB
CHUNK = 5 * MiB
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


@pytest.fixture(scope="module")
def source_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A 200 MB file that looks like an MP4, written and hashed in 1 MiB steps; and its hash."""
    path = tmp_path_factory.mktemp("tuspy") / "witness-video.mp4"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for index in range(SIZE // MiB):
            block = os.urandom(MiB)
            if index == 0:
                block = MP4_HEAD + block[len(MP4_HEAD) :]
            digest.update(block)
            out.write(block)
    yield path, digest.hexdigest()
    path.unlink()


async def test_tuspy_uploads_resumes_after_a_restart_and_the_hash_matches(
    settings: Settings,
    builtin_plugins: Plugins,
    platform: Platform,
    scene: Scene,
    source_file: tuple[Path, str],
) -> None:
    path, expected_sha256 = source_file
    meta = {"filename": "witness-video.mp4", "filetype": "video/mp4", "sha256": expected_sha256}
    with serving(settings, builtin_plugins) as server:
        client = TusClient(f"{server.url}/uploads/", headers={TOKEN_HEADER: scene.token})
        first = client.uploader(
            file_path=str(path), chunk_size=CHUNK, metadata=meta, upload_checksum=True
        )
        # The phone gets 15 chunks in (sha1 checksum on each), then the connection is lost.
        await asyncio.to_thread(first.upload, stop_at=15 * CHUNK)
        # tuspy declares ``url`` as None (its __init__ sets None and nothing annotates it).
        first_url = cast("str | None", first.url)
        assert first_url is not None
        upload_url = first_url.replace(server.url, "")

        server.stop()  # the app process goes away; another one takes over the same port
        server.start()

        client = TusClient(f"{server.url}/uploads/", headers={TOKEN_HEADER: scene.token})
        resumed = await asyncio.to_thread(
            client.uploader, file_path=str(path), chunk_size=CHUNK, url=server.url + upload_url
        )
        assert resumed.offset == 15 * CHUNK  # from the new process's HEAD
        await asyncio.to_thread(resumed.upload)
        assert resumed.offset == SIZE

    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert (item.sha256, item.size) == (expected_sha256, SIZE)
    assert (item.sniffed_type, item.review_state) == ("video/mp4", ReviewState.PENDING)
    stored = settings.storage_dir / "kent" / "objects" / item.storage_key
    assert stored.stat().st_size == SIZE
    stored.unlink()  # 200 MB per run is too much to leave in the temporary folders
