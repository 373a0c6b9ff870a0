"""The sweep leaves alone an upload that a live request holds, however old it is.

Uploads that no upload row names (objects written through ``put_object``, such as
derivatives) are protected only by their age and their claim.
"""

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from exhibit.testing.storage_contract import chunks_of, completed, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import _released, staging_folder
from exhibit_storage_s3.sweep import sweep_store

pytestmark = pytest.mark.asyncio


def _rewrite_manifest(s3: Any, bucket: str, key: str, **fields: Any) -> None:
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    manifest.update(fields)
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())


async def test_a_claimed_upload_is_not_swept(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    config = make_config(bucket)
    store = make_backend(config)
    key = "derivatives/1/claimed"
    data = sample_bytes(70_000, seed=92)
    state = await store.begin(key)
    _, state = await store.append(key, state, 0, chunks_of(data))
    folder = staging_folder(config.prefix, state["token"])
    # Begun long ago, and a request in another process holds it right now.
    _rewrite_manifest(
        s3,
        bucket,
        folder + "manifest",
        created=time.time() - 7200,
        holder="other-process",
        until=time.time() + 60,
    )
    assert await sweep_store(store, set(), timedelta(0)) == 0
    assert await store.size(key, state) == len(data)
    # Its holder gives it up: a later append and complete find everything in place.
    _rewrite_manifest(s3, bucket, folder + "manifest", holder="", until=0.0)
    _released.drop(folder)
    assert completed(await store.complete(key, state), key, data)


async def test_a_lapsed_claim_does_not_keep_an_old_upload(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    config = make_config(bucket)
    store = make_backend(config)
    state = await store.begin("derivatives/1/left")
    folder = staging_folder(config.prefix, state["token"])
    _rewrite_manifest(
        s3,
        bucket,
        folder + "manifest",
        created=time.time() - 7200,
        holder="dead-process",
        until=time.time() - 1,
    )
    assert await sweep_store(store, set(), timedelta(hours=1)) == 1
    assert s3.list_objects_v2(Bucket=bucket, Prefix=folder).get("KeyCount") == 0
