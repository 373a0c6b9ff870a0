"""A finished upload leaves nothing in its staging folder: no object, and no old version.

Each manifest write makes a new version in a versioned bucket (Object Lock buckets always
are), so there the store lists and deletes versions; in a plain bucket it lists keys.
"""

from collections.abc import Callable
from typing import Any

import pytest

from exhibit.testing.storage_contract import MiB, chunks_of, completed, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


def _staged_versions(s3: Any, bucket: str, prefix: str) -> list[str]:
    listed = s3.list_object_versions(Bucket=bucket, Prefix=f"{prefix}.exhibit-staging/")
    return [entry["Key"] for entry in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]


@pytest.mark.parametrize("versioned", [False, True], ids=["plain", "versioned"])
async def test_complete_removes_every_staging_object_and_version(
    versioned: bool,
    s3: Any,
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    config = make_config(bucket, prefix=f"removal-{versioned}/")
    store = make_backend(config)
    key = "originals/1/removed"
    data = sample_bytes(7 * MiB + 5, seed=130)
    state = await store.begin(key)
    # Three requests ending mid-part: tail segments are staged, read back and retained.
    for start, end in [(0, 2 * MiB), (2 * MiB, 6 * MiB), (6 * MiB, len(data))]:
        _, state = await store.append(key, state, start, chunks_of(data[start:end]))
    assert _staged_versions(s3, bucket, config.prefix)  # the manifest and segments
    assert completed(await store.complete(key, state), key, data)
    assert _staged_versions(s3, bucket, config.prefix) == []
