"""A force's S3 settings: refused when they cannot work; encryption applied to what is stored."""

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from exhibit.plugins.config import InvalidPluginConfig, load_config
from exhibit.secrets import SecretBox
from exhibit.storage.backend import put_object
from exhibit.testing.storage_contract import MiB, chunks_of, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"bucket": "b", "prefix": "no-slash"}, "prefix must end with '/'"),
        ({"bucket": "b", "access_key_id": "AKIA"}, "give both access_key_id and secret"),
        ({"bucket": "b", "object_lock_mode": "COMPLIANCE"}, "object_lock_days must be at least"),
        ({"bucket": "b", "part_size_mib": 4}, "part_size_mib must be 5 to 512"),
        ({"bucket": "b", "kms_key_id": "k"}, "only used with encryption SSE-KMS"),
        ({"bucket": "b", "object_lock_mode": "FOREVER", "object_lock_days": 1}, "FOREVER"),
        ({"bucket": "b", "bukket": "typo"}, "bukket"),
    ],
)
def test_unworkable_settings_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises((InvalidPluginConfig, msgspec.ValidationError), match=message):
        load_config(
            "storage_s3", Config, raw, SecretBox(SecretBox.generate_key()), force_slug="kent"
        )


def test_secret_is_never_shown() -> None:
    box = SecretBox(SecretBox.generate_key())
    raw = {"bucket": "b", "access_key_id": "AKIA", "secret_access_key": {"value": "s3cr3t"}}
    config = load_config("storage_s3", Config, raw, box, force_slug="kent")
    assert "s3cr3t" not in repr(config)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [1000, 6 * MiB], ids=["one-put", "multipart"])
async def test_sse_s3_applied(
    bucket: str,
    s3: Any,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
    size: int,
) -> None:
    store = make_backend(make_config(bucket, encryption="SSE-S3"))
    await put_object(store, "originals/1/enc", chunks_of(sample_bytes(size)))
    head = s3.head_object(Bucket=bucket, Key="force-a/originals/1/enc")
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(("part_mib", "chunk_mib"), [(5, 60), (8, 64), (20, 60), (100, 100)])
def test_the_chunk_is_whole_parts_within_64_mib(
    part_mib: int, chunk_mib: int, make_config: Any, make_backend: Any, bucket: str
) -> None:
    store = make_backend(make_config(bucket, part_size_mib=part_mib))
    assert store.upload_chunk_size() == chunk_mib * MiB
