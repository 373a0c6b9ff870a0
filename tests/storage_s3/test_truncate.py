"""Cutting back into bytes already sent as a part, more than once, keeps the right bytes."""

from collections.abc import Callable

import pytest

from exhibit.testing.storage_contract import (
    MiB,
    chunks_of,
    completed,
    read_all,
    sample_bytes,
)
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


async def test_repeated_truncates_never_revive_refused_bytes(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    store = make_backend(make_config(bucket))  # 5 MiB parts
    key = "originals/1/cut"
    first = sample_bytes(3 * MiB, seed=60)
    refused = sample_bytes(5 * MiB, seed=61)  # fills part 1 and stages 3 MiB after it
    second = sample_bytes(4 * MiB, seed=62)  # fills part 1 again, stages 2 MiB
    rest = sample_bytes(2 * MiB + 5, seed=63)
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(first))
    _, state = await store.append(key, state, len(first), chunks_of(refused))
    state = await store.truncate(key, state, len(first))
    _, state = await store.append(key, state, len(first), chunks_of(second))
    kept = first + second[: 3 * MiB]
    state = await store.truncate(key, state, len(kept))  # cuts into the new 2 MiB tail
    assert await store.size(key, state) == len(kept)
    size, state = await store.append(key, state, len(kept), chunks_of(rest))
    assert size == len(kept + rest)
    assert completed(await store.complete(key, state), key, kept + rest)
    assert await read_all(store, key) == kept + rest
