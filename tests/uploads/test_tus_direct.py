"""The direct PATCH (token check and lease claim in one write): what it skips and what it keeps."""

import base64
import hashlib
import os

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, Upload
from exhibit.uploads.requests import revoke_request
from exhibit.uploads.tus import access
from tests.fixtures.tus_client import create_upload, head_offset, patch_chunk, tus_headers
from tests.fixtures.witness import Scene

DATA = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + os.urandom(50_000)


async def stored_size(platform: Platform, force_id: int, path: str) -> int:
    async with platform.force_session(force_id) as session:
        upload = await session.scalar(select(Upload).where(Upload.public_id == path.split("/")[-1]))
        force = await force_info(session, force_id)
    assert upload is not None
    backend = platform.storage(force, upload.storage_backend)
    return await backend.size(upload.storage_key, upload.storage_state)


async def test_chunks_that_move_an_upload_forward_are_not_counted(
    client: AsyncTestClient[Litestar],
    platform: Platform,
    scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(access, "LINK_LIMIT", 3)
    path = await create_upload(client, scene.token, len(DATA))  # counted: 1
    for offset in range(0, len(DATA), 5_000):  # 11 chunks, more than the limit
        piece = DATA[offset : offset + 5_000]
        response = await patch_chunk(client, scene.token, path, offset, piece)
        assert response.status_code == 204, offset
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert item.sha256 == hashlib.sha256(DATA).hexdigest()
    # Other requests still count: 2 and 3 pass, the 4th is refused.
    for _ in range(2):
        assert (await client.head(path, headers=tus_headers(scene.token))).status_code == 200
    assert (await client.head(path, headers=tus_headers(scene.token))).status_code == 429


async def test_chunks_that_store_nothing_are_counted(
    client: AsyncTestClient[Litestar],
    platform: Platform,
    scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(access, "LINK_LIMIT", 4)
    path = await create_upload(client, scene.token, len(DATA))  # 1
    assert (await patch_chunk(client, scene.token, path, 0, DATA[:1000])).status_code == 204
    wrong = f"sha256 {base64.b64encode(hashlib.sha256(b'other').digest()).decode()}"
    failing = await patch_chunk(
        client, scene.token, path, 1000, DATA[1000:2000], Upload_Checksum=wrong
    )
    assert failing.status_code == 460  # 2: took the direct path, stored nothing
    behind = await patch_chunk(client, scene.token, path, 0, DATA[:1000])
    assert behind.status_code == 409  # 3: the ordinary path
    empty = await patch_chunk(client, scene.token, path, 1000, b"")
    assert (empty.status_code, empty.headers["upload-offset"]) == (204, "1000")  # 4
    limited = await patch_chunk(client, scene.token, path, 0, DATA[:1000])
    assert limited.status_code == 429
    assert await stored_size(platform, scene.force_id, path) == 1000
    # Moving forward is still allowed (and still bounded by the link's size limits).
    onward = await patch_chunk(client, scene.token, path, 1000, DATA[1000:2000])
    assert (onward.status_code, onward.headers["upload-offset"]) == (204, "2000")
    monkeypatch.setattr(access, "LINK_LIMIT", 100)
    assert await head_offset(client, scene.token, path) == 2000


async def test_a_link_revoked_mid_upload_stops_the_next_chunk(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, len(DATA))
    assert (await patch_chunk(client, scene.token, path, 0, DATA[:1000])).status_code == 204
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        await revoke_request(tx.session, request, reason="wrong person", actor="test")
    refused = await patch_chunk(client, scene.token, path, 1000, DATA[1000:2000])
    assert refused.status_code == 403
    assert "withdrawn" in refused.text
    assert await stored_size(platform, scene.force_id, path) == 1000


async def test_the_lease_is_released_with_the_offset(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, len(DATA))
    assert (await patch_chunk(client, scene.token, path, 0, DATA[:1000])).status_code == 204
    async with platform.force_session(scene.force_id) as session:
        upload = await session.scalar(select(Upload).where(Upload.public_id == path.split("/")[-1]))
    assert upload is not None
    assert (upload.offset, upload.locked_by, upload.locked_until) == (1000, None, None)
