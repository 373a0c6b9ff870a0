"""Write-once originals: Object Lock retention, legal hold, and disposal refused while locked."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from exhibit.storage.backend import ObjectNotFound, RetentionActive, put_object
from exhibit.storage.capabilities import LegalHolds, PresignedDownloads, RetentionQuery
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


@pytest.fixture
def locked_store(
    locked_bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> S3Storage:
    config = make_config(locked_bucket, object_lock_mode="COMPLIANCE", object_lock_days=30)
    return make_backend(config)


@pytest.mark.parametrize("size", [100_000, 11 * MiB + 5], ids=["one-put", "multipart"])
async def test_original_is_retained_and_cannot_be_deleted(
    locked_store: S3Storage, s3: Any, size: int
) -> None:
    key = f"originals/17/upload-{size}"
    data = sample_bytes(size, seed=size)
    assert completed(await put_object(locked_store, key, chunks_of(data, MiB)), key, data)

    retention = await locked_store.retention(key)
    assert retention.mode == "COMPLIANCE"
    assert retention.until is not None
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs(retention.until - expected) < timedelta(days=1, minutes=5)

    with pytest.raises(RetentionActive, match=r"retained \(COMPLIANCE\) until 20\d\d-"):
        await locked_store.delete(key)
    assert await read_all(locked_store, key) == data
    # S3 itself refuses too: the lock is real, not only our check.
    path = locked_store.config.prefix + key
    version = s3.head_object(Bucket=locked_store.bucket, Key=path)["VersionId"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=locked_store.bucket, Key=path, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


async def test_derivatives_are_not_locked(locked_store: S3Storage) -> None:
    key = "derivatives/17/thumb.jpeg"
    await put_object(locked_store, key, chunks_of(b"thumbnail"))
    assert (await locked_store.retention(key)).until is None
    await locked_store.delete(key)
    with pytest.raises(ObjectNotFound):
        await locked_store.stat(key)


async def test_legal_hold_blocks_disposal_until_lifted(
    locked_bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    store = make_backend(make_config(locked_bucket))  # no retention configured
    key = "originals/18/held"
    await put_object(store, key, chunks_of(b"evidence"))
    assert isinstance(store, LegalHolds)
    await store.set_legal_hold(key, True)
    assert (await store.retention(key)).legal_hold
    with pytest.raises(RetentionActive, match="legal hold"):
        await store.delete(key)
    await store.set_legal_hold(key, False)
    await store.delete(key)


async def test_capabilities_are_recognised(locked_store: S3Storage) -> None:
    assert isinstance(locked_store, PresignedDownloads)
    assert isinstance(locked_store, RetentionQuery)
    assert isinstance(locked_store, LegalHolds)
