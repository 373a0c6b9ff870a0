"""The sweep aborts abandoned multipart uploads and leaves the ones the database knows."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from exhibit.storage.backend import ObjectNotFound
from exhibit.testing.storage_contract import MiB, chunks_of, completed, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.sweep import sweep_store

pytestmark = pytest.mark.asyncio


def _uploads(s3: Any, bucket: str) -> set[str]:
    return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}


def _staged(s3: Any, bucket: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="force-a/.exhibit-staging/")
    return [o["Key"] for o in listed.get("Contents", [])]


async def test_abandoned_parts_are_aborted_and_known_uploads_kept(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> None:
    store = make_backend(make_config(bucket))
    data = sample_bytes(7 * MiB, seed=40)
    abandoned = await store.begin("originals/1/abandoned")
    _, abandoned = await store.append("originals/1/abandoned", abandoned, 0, chunks_of(data))
    known = await store.begin("originals/1/known")
    _, known = await store.append("originals/1/known", known, 0, chunks_of(data))
    # A multipart upload started by a process that died before recording it anywhere.
    orphan = s3.create_multipart_upload(Bucket=bucket, Key="force-a/originals/1/orphan")
    s3.upload_part(
        Bucket=bucket,
        Key="force-a/originals/1/orphan",
        UploadId=orphan["UploadId"],
        PartNumber=1,
        Body=b"x" * MiB,
    )
    assert _uploads(s3, bucket) == {abandoned["upload_id"], known["upload_id"], orphan["UploadId"]}

    # Younger than the threshold: the abandoned upload stays. (moto reports every multipart
    # upload as initiated on 2010-11-10, so the bare orphan counts as old and goes already.)
    assert await sweep_store(store, {known["token"]}, timedelta(hours=1)) == 1
    assert _uploads(s3, bucket) == {abandoned["upload_id"], known["upload_id"]}

    assert await sweep_store(store, {known["token"]}, timedelta(0)) == 1
    assert _uploads(s3, bucket) == {known["upload_id"]}
    assert all(known["token"] in key for key in _staged(s3, bucket))
    with pytest.raises(ObjectNotFound):
        await store.size("originals/1/abandoned", abandoned)
    # The known upload is untouched and completes.
    assert completed(await store.complete("originals/1/known", known), "originals/1/known", data)
    assert _uploads(s3, bucket) == set()
    assert _staged(s3, bucket) == []
