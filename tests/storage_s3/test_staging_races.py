"""Races between an upload's work and the claim's renewal, and repeated completes.

The renewal runs in its own thread while the request works. Interleavings are forced with
a gate around the staging's own mutex (the real lock, wrapped so that one chosen release
lets another thread run first); the bucket is the moto server's.
"""

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import msgspec
import pytest

from exhibit.testing.storage_contract import chunks_of, completed, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import Manifest, _decoder, staging_folder

pytestmark = pytest.mark.asyncio


class Gate:
    """A real lock that runs ``between`` once, in another thread, after its first release."""

    def __init__(self, between: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._between: Callable[[], None] | None = between

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._lock.release()
        between, self._between = self._between, None
        if between is not None:
            runner = threading.Thread(target=between)
            runner.start()
            runner.join()


def _manifest(s3: Any, bucket: str, config: Config, token: str) -> Manifest:
    key = staging_folder(config.prefix, token) + "manifest"
    decoded: Manifest = _decoder.decode(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return decoded


async def test_a_renewal_never_writes_back_a_manifest_older_than_the_work(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    config = make_config(bucket)
    store = make_backend(config)
    key = "originals/1/renewed"
    data = sample_bytes(100_000, seed=90)
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(data))
    staging = store._staging(state["token"])
    claimed = staging.claim()
    assert claimed.size == len(data)
    cut = msgspec.structs.replace(claimed, size=10, tail=[])

    # The work thread records a cut while the renewal is under way.
    staging._mutex = Gate(lambda: staging.commit(cut))  # type: ignore[assignment]
    staging.renew()
    assert _manifest(s3, bucket, config, state["token"]).size == 10
    staging.release()
    after = _manifest(s3, bucket, config, state["token"])
    assert (after.size, after.holder) == (10, "")


async def test_complete_repeated_after_the_staging_area_went_returns_the_object(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    """A process that completed the object and died before recording the item retries."""
    config = make_config(bucket)
    key = "originals/1/again"
    data = sample_bytes(6 * 1024 * 1024 + 7, seed=91)
    store = make_backend(config)
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(data))
    assert completed(await store.complete(key, state), key, data)
    assert completed(await make_backend(config).complete(key, state), key, data)


async def test_complete_of_a_discarded_upload_is_still_refused(
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    from exhibit.storage.backend import ObjectNotFound

    config = make_config(bucket)
    store = make_backend(config)
    key = "originals/1/discarded"
    first = await store.begin(key)
    _, first = await store.append(key, first, 0, chunks_of(b"first"))
    await store.abort(key, first)
    with pytest.raises(ObjectNotFound):
        await store.complete(key, first)
    # Another upload wrote the key: the discarded one does not pass for it.
    second = await store.begin(key)
    _, second = await store.append(key, second, 0, chunks_of(b"second"))
    await store.complete(key, second)
    with pytest.raises(ObjectNotFound):
        await store.complete(key, first)


async def test_staging_objects_s3_refuses_to_delete_are_reported(
    locked_bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    """A default retention rule locks the staging objects: discarding says so."""
    from exhibit.storage.backend import StorageError

    s3.put_object_lock_configuration(
        Bucket=locked_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    store = make_backend(make_config(locked_bucket))
    key = "derivatives/1/kept"
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(b"tail bytes"))
    with pytest.raises(StorageError, match="AccessDenied"):
        await store.abort(key, state)


async def test_a_complete_cut_short_after_the_object_was_written_leaves_no_upload_open(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    """A small object is written whole; the process dies before aborting its multipart."""
    import hashlib

    config = make_config(bucket)
    store = make_backend(config)
    key = "originals/1/small"
    data = b"a small photo"
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(data))
    store._put_whole(key, state["token"], data, hashlib.sha256(data).hexdigest())
    assert completed(await make_backend(config).complete(key, state), key, data)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=config.prefix + ".exhibit-staging/")
    assert listed.get("KeyCount") == 0
