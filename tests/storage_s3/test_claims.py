"""The manifest is the upload's lock: claims from another process, stale memories, dead holders.

Another app process is played by writing the manifest in the bucket directly (boto3), or by
making this process forget what it remembers (``_released``), which is all that
distinguishes two processes to the store.
"""

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from exhibit.storage.backend import OffsetMismatch, UploadBusy
from exhibit.testing.storage_contract import (
    MiB,
    chunks_of,
    completed,
    read_all,
    sample_bytes,
)
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import _released, staging_folder

pytestmark = pytest.mark.asyncio


def _manifest_key(config: Config, state: dict[str, Any]) -> str:
    return staging_folder(config.prefix, state["token"]) + "manifest"


async def test_a_stale_memory_of_the_manifest_is_never_trusted(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    config = make_config(bucket)  # 5 MiB parts
    key = "originals/1/stale"
    first, second, third = (sample_bytes(3 * MiB, seed=s) for s in (70, 71, 72))
    here = make_backend(config)
    state = await here.begin(key)
    _, state = await here.append(key, state, 0, chunks_of(first))
    folder = staging_folder(config.prefix, state["token"])
    remembered = _released.get(folder)
    assert remembered is not None
    # Another process appends (it fills part 1 from the staged tail and stages the rest).
    _released.drop(folder)
    _, state = await make_backend(config).append(key, state, len(first), chunks_of(second))
    # This process still remembers the manifest as it left it: the claim on that ETag is
    # refused, the manifest is read, and the offset is checked against the real size.
    _released.put(folder, *remembered)
    with pytest.raises(OffsetMismatch) as refused:
        await here.append(key, state, len(first), chunks_of(third))
    assert refused.value.expected == len(first + second)
    _released.put(folder, *remembered)
    size, state = await here.append(key, state, len(first + second), chunks_of(third))
    assert size == len(first + second + third)
    data = first + second + third
    assert completed(await here.complete(key, state), key, data)
    assert await read_all(here, key) == data


async def test_a_live_claim_refuses_and_a_dead_one_is_taken_over(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    config = make_config(bucket)
    key = "originals/1/claimed"
    data = sample_bytes(100_000, seed=73)
    store = make_backend(config)
    state = await store.begin(key)
    manifest_key = _manifest_key(config, state)
    folder = staging_folder(config.prefix, state["token"])

    def claimed_by_another_process(until: float) -> None:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
        manifest.update(holder="other-process", until=until)
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())

    claimed_by_another_process(time.time() + 60)
    with pytest.raises(UploadBusy):
        await store.append(key, state, 0, chunks_of(data))
    with pytest.raises(UploadBusy):
        await store.truncate(key, state, 0)
    assert await store.size(key, state) == 0
    # The other process died: once its claim lapses, the upload is taken over.
    claimed_by_another_process(time.time() - 1)
    _released.drop(folder)
    size, state = await store.append(key, state, 0, chunks_of(data))
    assert size == len(data)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    assert (manifest["holder"], manifest["size"]) == ("", len(data))
    assert completed(await store.complete(key, state), key, data)
