"""An unfinished upload lapses 24 hours after it last received bytes (not after it began),
and never later than its link: a witness can resume a large file over the days the link
lasts, while an abandoned one is swept within a day."""

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, Upload
from exhibit.uploads.tus.access import open_link
from exhibit.uploads.tus.service import MAX_LIFETIME, Chunk, write_chunk
from tests.fixtures.tus_client import create_upload, patch_chunk, tus_headers
from tests.fixtures.witness import Scene, chunks


async def _set(platform: Platform, scene: Scene, path: str, expires_at: datetime) -> None:
    async with force_transaction(platform, scene.force_id) as tx:
        await tx.session.execute(
            update(Upload)
            .where(Upload.public_id == path.rsplit("/", 1)[1])
            .values(expires_at=expires_at)
        )


async def _stored_expiry(platform: Platform, scene: Scene, path: str) -> datetime:
    async with platform.force_session(scene.force_id) as session:
        expires_at = await session.scalar(
            select(Upload.expires_at).where(Upload.public_id == path.rsplit("/", 1)[1])
        )
    assert expires_at is not None
    return expires_at


def _header(response: httpx.Response) -> datetime:
    return parsedate_to_datetime(response.headers["upload-expires"])


def _about(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < timedelta(minutes=1)


async def test_bytes_received_move_the_expiry_a_day_on(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, 100)
    soon = utcnow() + timedelta(hours=1)  # as if the upload began 23 hours ago
    await _set(platform, scene, path, soon)

    response = await patch_chunk(client, scene.token, path, 0, b"a" * 40)

    assert response.status_code == 204
    later = utcnow() + MAX_LIFETIME
    assert _about(_header(response), later)
    assert _about(await _stored_expiry(platform, scene, path), later)
    head = await client.head(path, headers=tus_headers(scene.token))
    assert _about(_header(head), later)


async def test_the_ordinary_claim_moves_it_too(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    """A PATCH the direct claim does not take (no Content-Length, say) goes this way."""
    path = await create_upload(client, scene.token, 100)
    await _set(platform, scene, path, utcnow() + timedelta(hours=1))
    link = await open_link(platform, scene.token, "127.0.0.1")

    view = await write_chunk(
        platform, link, path.rsplit("/", 1)[1], Chunk(offset=0, body=chunks(b"b" * 30))
    )

    later = utcnow() + MAX_LIFETIME
    assert view.offset == 30
    assert _about(view.expires_at, later)
    assert _about(await _stored_expiry(platform, scene, path), later)


async def test_never_past_the_links_expiry(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, 100)
    link_ends = utcnow() + timedelta(hours=2)
    async with force_transaction(platform, scene.force_id) as tx:
        await tx.session.execute(
            update(EvidenceRequest)
            .where(EvidenceRequest.id == scene.request_id)
            .values(expires_at=link_ends)
        )
    await _set(platform, scene, path, utcnow() + timedelta(hours=1))

    response = await patch_chunk(client, scene.token, path, 0, b"c" * 40)

    assert response.status_code == 204
    assert _about(await _stored_expiry(platform, scene, path), link_ends)
    assert _about(_header(response), link_ends)


async def test_a_request_that_stores_nothing_leaves_the_expiry(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, 100)
    assert (await patch_chunk(client, scene.token, path, 0, b"d" * 40)).status_code == 204
    soon = utcnow() + timedelta(hours=1)
    await _set(platform, scene, path, soon)

    wrong_offset = await patch_chunk(client, scene.token, path, 10, b"e" * 10)
    bad_checksum = await patch_chunk(
        client,
        scene.token,
        path,
        40,
        b"f" * 10,
        Upload_Checksum="sha1 " + "A" * 27 + "=",
    )

    assert wrong_offset.status_code == 409
    assert bad_checksum.status_code == 460
    assert _about(await _stored_expiry(platform, scene, path), soon)
