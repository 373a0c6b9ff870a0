"""Parts still travelling after an append has answered (``exhibit_storage_s3.writer``).

An append that ends on a part boundary answers once its parts are handed over; the next
append joins them, and every other operation waits until they have landed and been
recorded. Slow or failing parts are made with botocore's event hooks on the store's own
client. Another process sees the claim in the manifest (as ``test_claims`` shows for a
live holder); a second app served from a thread of this process runs its own event loop.
"""

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from exhibit.storage.backend import OffsetMismatch, StorageError, UploadBusy
from exhibit.testing.storage_contract import (
    MiB,
    chunks_of,
    completed,
    read_all,
    sample_bytes,
)
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import staging_folder

pytestmark = pytest.mark.asyncio


class SlowParts:
    """Holds every part upload until ``gate`` is set, counting those that were held."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.held = threading.Event()  # set once a part is being held
        self.waiting = 0

    def __call__(self, **_: Any) -> None:
        self.waiting += 1
        self.held.set()
        if not self.gate.wait(timeout=30):
            raise AssertionError("the test never let the parts through")


class FailingParts:
    """Drops every attempt to send part number ``part``."""

    def __init__(self, part: int) -> None:
        self.part = part

    def __call__(self, request: Any, **_: Any) -> None:
        if f"partNumber={self.part}&" in request.url + "&":
            raise ConnectionClosedError(endpoint_url=request.url)


@pytest.fixture
def store(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> S3Storage:
    # max_attempts=2 gives these tests a client of their own (clients are cached per settings).
    return make_backend(make_config(bucket, max_attempts=2))


@pytest.fixture
def slow(store: S3Storage) -> Iterator[SlowParts]:
    """Parts of ``store`` held until the test sets the gate (always set at the end)."""
    held = SlowParts()
    store.client.meta.events.register("before-send.s3.UploadPart", held)
    yield held
    held.gate.set()
    store.client.meta.events.unregister("before-send.s3.UploadPart", held)


def _manifest(s3: Any, bucket: str, config: Config, state: dict[str, Any]) -> dict[str, Any]:
    key = staging_folder(config.prefix, state["token"]) + "manifest"
    manifest: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return manifest


async def test_an_aligned_append_answers_before_its_parts_land(
    store: S3Storage, slow: SlowParts, bucket: str, s3: Any
) -> None:
    key = "originals/1/in-flight"
    data = sample_bytes(10 * MiB + 7, seed=120)  # two 5 MiB parts, then a short last one
    state = await store.begin(key)
    size, state = await asyncio.wait_for(
        store.append(key, state, 0, chunks_of(data[: 10 * MiB])), 10
    )
    assert size == 10 * MiB  # accepted while both parts wait to be sent
    assert await asyncio.to_thread(slow.held.wait, 10)
    # Nothing is recorded yet, and the upload stays claimed: another process waits.
    manifest = _manifest(s3, bucket, store.config, state)
    assert manifest["size"] == 0 and manifest["holder"]
    # The next append from this process joins the parts in flight.
    slow.gate.set()
    size, state = await store.append(key, state, size, chunks_of(data[10 * MiB :]))
    assert size == len(data)
    assert await store.size(key, state) == len(data)
    manifest = _manifest(s3, bucket, store.config, state)
    assert (manifest["size"], manifest["holder"], len(manifest["parts"])) == (len(data), "", 2)
    assert completed(await store.complete(key, state), key, data)
    assert await read_all(store, key) == data


async def test_size_and_complete_wait_for_the_parts_in_flight(
    store: S3Storage, slow: SlowParts
) -> None:
    key = "originals/1/waits"
    data = sample_bytes(15 * MiB, seed=121)
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(data))
    sizing = asyncio.create_task(store.size(key, state))
    await asyncio.sleep(0.3)
    assert not sizing.done()  # the parts have not landed
    slow.gate.set()
    assert await asyncio.wait_for(sizing, 30) == len(data)
    assert completed(await store.complete(key, state), key, data)


async def test_another_event_loop_is_busy_until_the_parts_are_recorded(
    store: S3Storage, slow: SlowParts, make_backend: Callable[[Config], S3Storage]
) -> None:
    key = "originals/1/other-process"
    data = sample_bytes(10 * MiB, seed=122)
    state = await store.begin(key)
    size, state = await store.append(key, state, 0, chunks_of(data[: 5 * MiB]))

    def elsewhere() -> None:
        other = make_backend(store.config)
        asyncio.run(other.append(key, state, size, chunks_of(data[5 * MiB :])))

    with pytest.raises(UploadBusy):
        await asyncio.to_thread(elsewhere)
    slow.gate.set()
    size, state = await store.append(key, state, size, chunks_of(data[5 * MiB :]))
    assert completed(await store.complete(key, state), key, data)


async def test_a_part_lost_after_the_answer_is_sent_again_from_the_recorded_size(
    store: S3Storage,
) -> None:
    key = "originals/1/lost-part"
    data = sample_bytes(20 * MiB + 1, seed=123)
    failing = FailingParts(part=3)
    store.client.meta.events.register("before-send.s3.UploadPart", failing)
    try:
        state = await store.begin(key)
        size, state = await store.append(key, state, 0, chunks_of(data[: 15 * MiB]))
        assert size == 15 * MiB  # answered: part 3 had not been sent yet
        # The client goes on: refused with the real offset (the failure was recorded), or
        # with the part's error (it joined the parts in flight and the failure came then).
        with pytest.raises((OffsetMismatch, StorageError)) as refused:
            await store.append(key, state, size, chunks_of(data[size:]))
        if isinstance(refused.value, OffsetMismatch):
            assert refused.value.expected == 10 * MiB
    finally:
        store.client.meta.events.unregister("before-send.s3.UploadPart", failing)
    kept = await store.size(key, state)
    assert kept == 10 * MiB  # parts 1 and 2; nothing after the lost part
    size, state = await store.append(key, state, kept, chunks_of(data[kept:]))
    assert size == len(data)
    assert completed(await store.complete(key, state), key, data)
