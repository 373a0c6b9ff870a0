"""Part files reused from one part to the next (``exhibit_storage_s3.writer``).

A part waits for S3 in a temporary file, and once it has landed the file is kept for a
later part to overwrite. A later part shorter than the file's last one must not carry the
earlier bytes along: neither when sent as a part nor when staged as an upload's tail.
"""

import asyncio
from collections.abc import Callable

import pytest

from exhibit.testing.storage_contract import MiB, chunks_of, completed, read_all, sample_bytes
from exhibit_storage_s3 import writer
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


async def test_a_spare_part_file_holds_only_the_new_bytes(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    store = make_backend(make_config(bucket))  # 5 MiB parts
    first_key, second_key = "originals/1/first", "originals/1/second"
    first = sample_bytes(10 * MiB, seed=130)
    state = await store.begin(first_key)
    _, state = await store.append(first_key, state, 0, chunks_of(first))
    assert completed(await store.complete(first_key, state), first_key, first)
    assert writer._spare_files  # the two parts' files, full of the first upload's bytes

    # A short append: its bytes go into a spare file and are staged as the tail.
    second = sample_bytes(7 * MiB + 3, seed=131)
    state = await store.begin(second_key)
    size, state = await store.append(second_key, state, 0, chunks_of(second[: 2 * MiB + 3]))
    assert size == await store.size(second_key, state) == 2 * MiB + 3
    # The tail joins the next bytes in a spare file, sent as a whole part, then a short one.
    size, state = await store.append(second_key, state, size, chunks_of(second[size:]))
    assert size == len(second)
    assert completed(await store.complete(second_key, state), second_key, second)
    assert await read_all(store, second_key) == second
    assert await read_all(store, first_key) == first


async def test_spare_part_files_are_bounded(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    store = make_backend(make_config(bucket))
    data = sample_bytes(5 * MiB * (writer.SPARE_FILES + 4), seed=132)
    keys = [f"originals/1/many-{n}" for n in range(3)]

    async def upload(key: str) -> None:
        state = await store.begin(key)
        _, state = await store.append(key, state, 0, chunks_of(data))
        assert completed(await store.complete(key, state), key, data)

    await asyncio.gather(*(upload(key) for key in keys))
    assert 0 < len(writer._spare_files) <= writer.SPARE_FILES
