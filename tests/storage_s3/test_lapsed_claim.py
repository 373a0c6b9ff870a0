"""A request whose claim lapsed (its renewals failed) sends no more parts.

Once the claim lapses another process may take the upload over and send parts under the
same numbers; a part the old holder sent after that would land over the new holder's.
Renewals are made to fail with botocore's event hooks on the store's own client, and the
other process is played by writing its claim into the manifest directly.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from exhibit.storage.backend import StorageError
from exhibit.testing.storage_contract import MiB, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import staging_folder

pytestmark = pytest.mark.asyncio


class FailingManifestWrites:
    """Drops every manifest write while ``on`` is set."""

    def __init__(self) -> None:
        self.on = False

    def __call__(self, request: Any, **_: Any) -> None:
        if self.on and request.url.endswith("/manifest"):
            raise ConnectionClosedError(endpoint_url=request.url)


async def test_no_part_is_sent_once_the_claim_has_lapsed(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    config = make_config(bucket, lock_lease_seconds=5, max_attempts=1)
    store = make_backend(config)
    faults = FailingManifestWrites()
    store.client.meta.events.register("before-send.s3.PutObject", faults)
    try:
        key = "originals/1/lapsed"
        state = await store.begin(key)
        manifest_key = staging_folder(config.prefix, state["token"]) + "manifest"
        first, second = sample_bytes(5 * MiB, seed=94), sample_bytes(5 * MiB, seed=95)

        async def body() -> AsyncIterator[bytes]:
            yield first
            faults.on = True  # renewals fail from now on
            await asyncio.sleep(config.lock_lease_seconds + 1)
            faults.on = False
            # The claim lapsed: another process takes the upload over.
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
            assert manifest["until"] < time.time()
            manifest.update(holder="other-process", until=time.time() + 60)
            s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
            yield second

        with pytest.raises(StorageError):
            await store.append(key, state, 0, body())
        parts = s3.list_parts(Bucket=bucket, Key=config.prefix + key, UploadId=state["upload_id"])
        assert [p["PartNumber"] for p in parts.get("Parts", [])] == [1]
    finally:
        store.client.meta.events.unregister("before-send.s3.PutObject", faults)
