"""Object bodies travel with a signed SHA-256 checksum instead of a hashed signature payload.

The store's client does not hash bodies for the signature (``payload_signing_enabled``
off, also over the plain HTTP of the test's moto server); every object body it sends must
then carry its SHA-256 in ``x-amz-checksum-sha256``, and that header must be one of the
signed ones, so that nobody can swap the body and its checksum on the way. The requests
are read as they leave the store's own client (botocore's ``before-send`` event, after
signing) and still go to moto.
"""

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from exhibit.testing.storage_contract import MiB, chunks_of, completed, sample_bytes
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


class Sent:
    """The signed requests that carried a body: operation, headers, the body's SHA-256."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], str]] = []

    def __call__(self, request: Any, event_name: str, **_: Any) -> None:
        body = request.body
        if hasattr(body, "read"):
            position = body.tell()
            data = body.read()
            body.seek(position)
        else:
            data = body or b""
        if data:
            headers = {
                name.lower(): value.decode() if isinstance(value, bytes) else str(value)
                for name, value in request.headers.items()
            }
            digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
            self.requests.append((event_name.rsplit(".", 1)[-1], headers, digest))


@pytest.fixture
def watched_store(
    bucket: str,
    make_config: Callable[..., Config],
    make_backend: Callable[[Config], S3Storage],
) -> Iterator[tuple[S3Storage, Sent]]:
    store = make_backend(make_config(bucket))
    sent = Sent()
    store.client.meta.events.register("before-send.s3", sent)
    yield store, sent
    store.client.meta.events.unregister("before-send.s3", sent)


def signed_headers(headers: dict[str, str]) -> set[str]:
    found = re.search(r"SignedHeaders=([^,]+)", headers["authorization"])
    assert found is not None
    return set(found.group(1).split(";"))


async def test_object_bodies_carry_a_signed_sha256_and_skip_payload_hashing(
    watched_store: tuple[S3Storage, Sent],
) -> None:
    store, sent = watched_store
    key = "originals/1/signed"
    data = sample_bytes(11 * MiB + 5, seed=60)  # two parts, and a staged tail on the way
    state = await store.begin(key)
    size, state = await store.append(key, state, 0, chunks_of(data[: 7 * MiB], MiB))
    size, state = await store.append(key, state, size, chunks_of(data[size:], MiB))
    assert completed(await store.complete(key, state), key, data)

    operations = {operation for operation, _, _ in sent.requests}
    assert {"UploadPart", "PutObject"} <= operations
    for operation, headers, digest in sent.requests:
        if operation in {"UploadPart", "PutObject"}:
            assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD", operation
            assert headers["x-amz-checksum-sha256"] == digest, operation
            assert "x-amz-checksum-sha256" in signed_headers(headers), operation
