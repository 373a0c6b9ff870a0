"""Ranged reads across part boundaries, and presigned GET URLs where a force allows them."""

from collections.abc import Callable

import httpx
import pytest

from exhibit.storage.backend import put_object
from exhibit.testing.storage_contract import MiB, chunks_of, read_all, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


async def test_ranged_reads_across_parts_return_exact_bytes(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    store = make_backend(make_config(bucket))
    data = sample_bytes(12 * MiB + 77, seed=31)  # parts of 5 MiB: 5, 5 and the rest
    await put_object(store, "originals/1/video.mp4", chunks_of(data, 3 * MiB + 1))
    for start, end in [
        (5 * MiB - 1, 5 * MiB + 1),
        (0, 10 * MiB),
        (10 * MiB - 3, None),
        (123_456, 123_457),
        (len(data) - 1, len(data)),
    ]:
        got = await read_all(store, "originals/1/video.mp4", start, end)
        assert got == data[start:end], (start, end)


async def test_presigned_get_only_where_allowed(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    refusing = make_backend(make_config(bucket))
    allowing = make_backend(
        make_config(bucket, presigned_downloads=True, presigned_expiry_seconds=60)
    )
    await put_object(allowing, "originals/2/photo.jpeg", chunks_of(b"jpeg bytes"))
    assert await refusing.presigned_get("originals/2/photo.jpeg") is None
    url = await allowing.presigned_get("originals/2/photo.jpeg", filename="IMG 1.jpeg")
    assert (url is not None and "Expires=" in url) or "X-Amz-Expires=60" in (url or "")
    async with httpx.AsyncClient() as client:
        answer = await client.get(url or "")
    assert answer.status_code == 200
    assert answer.content == b"jpeg bytes"
    assert 'filename="IMG 1.jpeg"' in answer.headers["content-disposition"]
