"""A platform with media_tools enabled for a force, and helpers to feed it files."""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

import exhibit_media_tools
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.jobs.queue import enqueue
from exhibit.jobs.worker import Worker
from exhibit.media.models import MediaProcessing
from exhibit.media.pipeline import PROCESS_JOB
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.storage.backend import put_object
from exhibit.uploads.ingest import ingest_upload
from tests.fixtures.witness import Scene, chunks, make_scene, received_upload


@pytest.fixture
async def media_platform(settings: Settings) -> AsyncIterator[Platform]:
    """A platform whose plugins are the built-ins plus media_tools."""
    plugins = load_builtin_plugins([("media_tools", exhibit_media_tools)])
    platform = Platform(settings, plugins)
    yield platform
    await platform.close()


@pytest.fixture
async def scene(media_platform: Platform) -> Scene:
    """A force with media_tools enabled (default configuration), a case and a live request."""
    made = await make_scene(media_platform)
    async with force_transaction(media_platform, made.force_id) as tx:
        await configure_plugin(
            tx.session,
            media_platform.plugins,
            media_platform.secret_box,
            made.force_id,
            "media_tools",
            enabled=True,
            config={"thumbnail_size": 320, "proxy_height": 240},
            actor="test",
        )
    return made


async def submit(platform: Platform, scene: Scene, data: bytes, filename: str) -> int:
    """Upload and ingest a file as a witness would; return the item id."""
    upload_id = await received_upload(
        platform, scene, data, filename=filename, declared_type="application/octet-stream"
    )
    item = await ingest_upload(platform, scene.force_id, upload_id)
    return item.id


async def planted(platform: Platform, scene: Scene, data: bytes, sniffed_type: str) -> int:
    """An item whose type check was fooled (stored as ``sniffed_type``), queued for processing."""
    async with force_transaction(platform, scene.force_id) as tx:
        backend = platform.storage(await force_info(tx.session, scene.force_id), "local")
        key = f"originals/planted/{hashlib.sha256(data).hexdigest()[:24]}"
        stored = await put_object(backend, key, chunks(data))
        item = EvidenceItem(
            force_id=scene.force_id,
            case_id=scene.case_id,
            storage_backend="local",
            storage_key=key,
            original_filename="clip.mp4",
            size=stored.size,
            sniffed_type=sniffed_type,
            sha256=stored.sha256,
        )
        tx.session.add(item)
        await tx.session.flush()
        await enqueue(tx.session, PROCESS_JOB, {"item_id": item.id, "processor": "media_tools"})
        return item.id


async def drain(platform: Platform) -> int:
    """Run due jobs until none is left; return how many ran."""
    worker = Worker(platform)
    ran = 0
    while await worker.run_once():
        ran += 1
    return ran


@dataclass(frozen=True)
class Outcome:
    """What processing left for one item."""

    item: EvidenceItem
    runs: list[MediaProcessing]
    derivatives: list[Derivative]


async def outcome(platform: Platform, force_id: int, item_id: int) -> Outcome:
    """Read back the item, its processing records and its derivatives."""
    async with platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        runs = list(
            await session.scalars(select(MediaProcessing).where(MediaProcessing.item_id == item_id))
        )
        derivatives = list(
            await session.scalars(select(Derivative).where(Derivative.item_id == item_id))
        )
    return Outcome(item, runs, derivatives)


async def stored_bytes(platform: Platform, force_id: int, key: str) -> bytes:
    """The bytes stored under ``key`` in the force's local store."""
    async with platform.force_session(force_id) as session:
        backend = platform.storage(await force_info(session, force_id), "local")
    return b"".join([chunk async for chunk in backend.read(key)])
