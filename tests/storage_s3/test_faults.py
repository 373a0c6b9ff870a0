"""A failing S3 (connections dropped mid-part) is retried; past the retries the upload resumes.

Faults are injected with botocore's event hooks on the store's own client: a
``before-send`` handler raises ``ConnectionClosedError`` for a part upload, as when S3 drops
the connection while the part is on the wire. Retries are botocore's ``standard`` mode.
"""

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from exhibit.storage.backend import StorageError
from exhibit.testing.storage_contract import MiB, chunks_of, completed, sample_bytes
from exhibit_storage_s3 import hashes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


class DroppedParts:
    """Drops the next ``count`` attempts to send part number ``part`` (and counts them)."""

    def __init__(self) -> None:
        self.part = 0
        self.count = 0
        self.dropped = 0

    def __call__(self, request: Any, **_: Any) -> None:
        if self.count > 0 and f"partNumber={self.part}&" in request.url + "&":
            self.count -= 1
            self.dropped += 1
            raise ConnectionClosedError(endpoint_url=request.url)


@pytest.fixture
def flaky_store(
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> Iterator[tuple[S3Storage, DroppedParts]]:
    # max_attempts=3 gives this test a client of its own (clients are cached per settings).
    store = make_backend(make_config(bucket, max_attempts=3))
    faults = DroppedParts()
    store.client.meta.events.register("before-send.s3.UploadPart", faults)
    yield store, faults
    store.client.meta.events.unregister("before-send.s3.UploadPart", faults)


async def test_dropped_connections_are_retried(flaky_store: tuple[S3Storage, DroppedParts]) -> None:
    store, faults = flaky_store
    data = sample_bytes(12 * MiB + 9, seed=50)
    faults.part, faults.count = 2, 2  # within the three attempts of one request
    state = await store.begin("originals/1/flaky")
    size, state = await store.append("originals/1/flaky", state, 0, chunks_of(data, MiB))
    assert faults.dropped == 2
    assert size == len(data)
    assert completed(await store.complete("originals/1/flaky", state), "originals/1/flaky", data)


async def test_a_failure_past_the_retries_leaves_the_upload_resumable(
    flaky_store: tuple[S3Storage, DroppedParts],
) -> None:
    store, faults = flaky_store
    key = "originals/1/resumed"
    data = sample_bytes(17 * MiB, seed=51)
    state = await store.begin(key)
    size, state = await store.append(key, state, 0, chunks_of(data[: 6 * MiB], MiB))
    faults.part, faults.count = 2, 3  # every attempt at the next part fails
    with pytest.raises(StorageError, match="sending part 2"):
        await store.append(key, state, size, chunks_of(data[size:], MiB))
    kept = await store.size(key, state)
    assert 6 * MiB <= kept < len(data)  # whole parts and staged tails only: never a gap
    faults.count = 0
    size, state = await store.append(key, state, kept, chunks_of(data[kept:], 3 * MiB))
    assert size == len(data)
    assert completed(await store.complete(key, state), key, data)


async def test_parts_are_whole_whatever_the_chunking(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every part but the last is exactly part_size bytes; a new process re-hashes at the end."""
    store = make_backend(make_config(bucket))
    key = "originals/1/parts"
    data = sample_bytes(23 * MiB + 3, seed=52)
    cuts = [0, 2 * MiB, 3 * MiB + 1, 19 * MiB, len(data)]
    state = await store.begin(key)
    for start, end in itertools.pairwise(cuts):
        _, state = await store.append(key, state, start, chunks_of(data[start:end], 700_001))
    listed = s3.list_parts(Bucket=bucket, Key="force-a/" + key, UploadId=state["upload_id"])
    assert [p["Size"] for p in listed["Parts"]] == [5 * MiB] * 4
    assert state["size"] == len(data)
    # Another process has no running hash: complete reads the object back to hash it.
    monkeypatch.setattr(hashes, "running", hashes.RunningHashes())
    assert completed(await make_backend(make_config(bucket)).complete(key, state), key, data)
