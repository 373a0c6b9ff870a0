"""The store hands the core an upload's first bytes at completion, so nothing is read back.

The core types every upload from its first ``HEAD_BYTES`` bytes. A store that saw them go
by in order returns them with the completed object; otherwise (another process appended or
completed) it returns none and the core reads them from the object, as before.
"""

import asyncio
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tusclient.client import TusClient

from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.storage.backend import HEAD_BYTES
from exhibit.testing.storage_contract import MiB, chunks_of, completed, sample_bytes
from exhibit_storage_s3 import hashes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.client import s3_client
from exhibit_storage_s3.config import Config
from tests.fixtures.tus_client import TOKEN_HEADER, serving
from tests.fixtures.witness import Scene
from tests.storage_s3.test_tus import _item

pytestmark = pytest.mark.asyncio

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


class Reads:
    """The object keys the store's client sent ``GetObject`` for."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        self.keys.append(params["Key"])


@pytest.fixture
def watched_reads() -> Iterator[Callable[[Any], Reads]]:
    """Watch a store client's ``GetObject`` calls (unwatched when the test ends)."""
    watched: list[tuple[Any, Reads]] = []

    def watch(client: Any) -> Reads:
        reads = Reads()
        client.meta.events.register("provide-client-params.s3.GetObject", reads)
        watched.append((client, reads))
        return reads

    yield watch
    for client, reads in watched:
        client.meta.events.unregister("provide-client-params.s3.GetObject", reads)


async def test_complete_returns_the_first_bytes_it_saw_without_reading_them_back(
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
    watched_reads: Callable[[Any], Reads],
) -> None:
    store = make_backend(make_config(bucket))
    key = "originals/1/first-bytes"
    data = sample_bytes(12 * MiB + 7, seed=81)  # 5 MiB parts and a tail
    state = await store.begin(key)
    for start, end in itertools.pairwise([0, 1000, 6 * MiB, len(data)]):
        _, state = await store.append(key, state, start, chunks_of(data[start:end], 40_000))
    reads = watched_reads(store.client)

    result = await store.complete(key, state)

    assert completed(result, key, data)
    assert result.known_head() == data[:HEAD_BYTES]
    assert "force-a/" + key not in reads.keys  # the staged tail is read, the object is not


async def test_a_small_upload_returns_all_its_bytes(
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    store = make_backend(make_config(bucket))
    key = "originals/1/small"
    data = sample_bytes(HEAD_BYTES // 2, seed=82)
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(data, 5000))

    result = await store.complete(key, state)

    assert completed(result, key, data)
    assert result.known_head() == data


async def test_complete_in_another_process_returns_no_first_bytes(
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "originals/1/elsewhere"
    data = sample_bytes(11 * MiB, seed=83)
    state = await make_backend(make_config(bucket)).begin(key)
    _, state = await make_backend(make_config(bucket)).append(key, state, 0, chunks_of(data, MiB))
    # Another process has no running state, hence no first bytes: the core reads them.
    monkeypatch.setattr(hashes, "running", hashes.RunningHashes())

    result = await make_backend(make_config(bucket)).complete(key, state)

    assert completed(result, key, data)
    assert result.head == b""
    assert result.known_head() is None


async def test_a_tus_upload_is_typed_without_reading_the_object_back(
    settings: Settings,
    s3_plugins: Plugins,
    s3_scene: tuple[Scene, Config],
    watched_reads: Callable[[Any], Reads],
    tmp_path: Any,
) -> None:
    scene, config = s3_scene
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4_HEAD + os.urandom(11 * MiB))
    reads = watched_reads(s3_client(config))  # the client the served app's store shares
    with serving(settings, s3_plugins) as server:
        client = TusClient(f"{server.url}/uploads/", headers={TOKEN_HEADER: scene.token})
        uploader = client.uploader(
            file_path=str(path), chunk_size=4 * MiB, metadata={"filename": "clip.mp4"}
        )
        await asyncio.to_thread(uploader.upload)

    item = await _item(settings, s3_plugins, scene.force_id)
    assert item.sniffed_type == "video/mp4"
    assert config.prefix + item.storage_key not in reads.keys
