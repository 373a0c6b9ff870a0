"""The sweep of abandoned uploads: expired and unfinished uploads are discarded, audited."""

import hashlib
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.platform import Platform
from exhibit.storage.backend import ObjectNotFound
from exhibit.uploads.models import EvidenceRequest, Upload
from exhibit.uploads.requests import revoke_request
from exhibit.uploads.tus.sweep import (
    SWEEP_JOB,
    sweep_abandoned_uploads,
    sweep_abandoned_uploads_job,
)
from tests.fixtures.tus_client import create_upload, patch_chunk
from tests.fixtures.witness import make_scene, received_upload

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x01" * 5000


async def row(platform: Platform, force_id: int, public_id: str) -> Upload:
    async with platform.force_session(force_id) as session:
        upload = await session.scalar(select(Upload).where(Upload.public_id == public_id))
    assert upload is not None
    return upload


async def age(platform: Platform, force_id: int, public_id: str, **values: object) -> None:
    """Put an upload's expiry in the past (and set any other columns given)."""
    async with force_transaction(platform, force_id) as tx:
        await tx.session.execute(
            update(Upload)
            .where(Upload.public_id == public_id)
            .values(expires_at=utcnow() - timedelta(minutes=1), **values)
        )


async def test_only_abandoned_uploads_are_discarded(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    kent = await make_scene(platform, "kent")
    essex = await make_scene(platform, "essex")

    async def started(scene_token: str, sent: bytes, length: int = 100) -> str:
        path = await create_upload(client, scene_token, length)
        if sent:
            assert (await patch_chunk(client, scene_token, path, 0, sent)).status_code == 204
        return path.rsplit("/", 1)[1]

    abandoned_kent = await started(kent.token, b"a" * 40)
    abandoned_essex = await started(essex.token, b"")
    alive = await started(kent.token, b"b" * 40)
    finished = await started(kent.token, JPEG, length=len(JPEG))
    busy = await started(kent.token, b"c" * 10)
    received_id = await received_upload(
        platform, kent, JPEG, filename="IMG_9.jpg", declared_type="image/jpeg"
    )
    async with platform.force_session(kent.force_id) as session:
        received = await session.get(Upload, received_id)
    assert received is not None
    for force_id, public_id in [
        (kent.force_id, abandoned_kent),
        (essex.force_id, abandoned_essex),
        (kent.force_id, finished),
        (kent.force_id, received.public_id),
    ]:
        await age(platform, force_id, public_id)
    await age(
        platform,
        kent.force_id,
        busy,
        locked_by="another-process",
        locked_until=utcnow() + timedelta(minutes=1),
    )

    assert await sweep_abandoned_uploads(platform) == 2

    async with platform.force_session(kent.force_id) as session:
        force = await force_info(session, kent.force_id)
    backend = platform.storage(force, "local")
    gone = await row(platform, kent.force_id, abandoned_kent)
    assert gone.terminated_at is not None
    assert gone.locked_by is None
    with pytest.raises(ObjectNotFound):
        await backend.size(gone.storage_key, gone.storage_state)
    assert (await row(platform, essex.force_id, abandoned_essex)).terminated_at is not None
    for public_id in (alive, finished, busy):
        assert (await row(platform, kent.force_id, public_id)).terminated_at is None
    alive_row = await row(platform, kent.force_id, alive)
    assert await backend.size(alive_row.storage_key, alive_row.storage_state) == 40
    # Every byte of this one arrived before its process died: it is ingested, not dropped.
    async with platform.force_session(kent.force_id) as session:
        hashes = list(await session.scalars(select(EvidenceItem.sha256)))
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "upload.expired"))
        ).all()
    assert hashes.count(hashlib.sha256(JPEG).hexdigest()) == 2
    assert [(e.actor, e.object_id) for e in events] == [("system", str(gone.id))]

    job = JobContext(id=1, kind=SWEEP_JOB, force_id=None, payload={}, attempt=1, platform=platform)
    await sweep_abandoned_uploads_job(job)  # nothing left to do: the busy one is still held
    assert (await row(platform, kent.force_id, busy)).terminated_at is None


async def test_unfinished_uploads_of_a_revoked_link_are_discarded_at_the_next_sweep(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    scene = await make_scene(platform, "kent")
    meta = {"filename": "sam-smith-front-door.mp4", "caption": "My neighbour at 4 Elm Road"}
    path = await create_upload(client, scene.token, 100, meta)
    assert (await patch_chunk(client, scene.token, path, 0, b"a" * 40)).status_code == 204
    public_id = path.rsplit("/", 1)[1]
    assert (await row(platform, scene.force_id, public_id)).caption == meta["caption"]
    other = await make_scene(platform, "essex")  # a live link elsewhere keeps its upload
    other_path = await create_upload(client, other.token, 100)
    assert (await patch_chunk(client, other.token, other_path, 0, b"b" * 40)).status_code == 204
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        await revoke_request(tx.session, request, reason="Sent to the wrong number", actor="test")

    # The link's own expiry is days away, and the upload's a day: revoking is what counts.
    assert await sweep_abandoned_uploads(platform) == 1

    gone = await row(platform, scene.force_id, public_id)
    assert gone.terminated_at is not None
    # What the witness typed about a file that never arrived is not kept either.
    assert (gone.filename, gone.caption) == ("", "")
    async with platform.force_session(scene.force_id) as session:
        force = await force_info(session, scene.force_id)
        [event] = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "upload.expired"))
        ).all()
    with pytest.raises(ObjectNotFound):
        await platform.storage(force, "local").size(gone.storage_key, gone.storage_state)
    assert (event.actor, event.object_id) == ("system", str(gone.id))
    assert event.reason == "its link was revoked"
    kept = await row(platform, other.force_id, other_path.rsplit("/", 1)[1])
    assert kept.terminated_at is None
