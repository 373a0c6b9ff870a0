"""``exhibit evidence verify`` on a force that keeps its evidence in S3 (moto over HTTP).

Objects are damaged behind Exhibit's back with a plain S3 client, as a bad replication or
a careless script would, and the real command is run.
"""

import hashlib
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import pytest

from exhibit.evidence import fixity
from exhibit.evidence.disposal import destroy_stored_objects, make_tombstone
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.uploads.ingest import ingest_upload
from exhibit.uploads.models import EvidenceRequest, Upload
from exhibit.uploads.submissions import open_submission
from exhibit_storage_s3.config import Config
from tests.evidence.arrivals import png
from tests.fixtures.cli import invoke_exhibit, run_exhibit
from tests.fixtures.officer import audit_events
from tests.fixtures.witness import Scene, chunks
from tests.storage_s3.conftest import ACCESS_KEY, SECRET_KEY, free_port

pytestmark = pytest.mark.asyncio
CASE = "KENT/123/26"


@pytest.fixture
async def s3_platform(settings: Settings, s3_plugins: Plugins) -> AsyncIterator[Platform]:
    """A platform that knows the S3 store."""
    platform = Platform(settings, s3_plugins)
    yield platform
    await platform.close()


async def arrived(platform: Platform, scene: Scene, data: bytes) -> EvidenceItem:
    """Upload ``data`` into the force's S3 store, as the tus server does, and ingest it."""
    name = hashlib.sha256(data).hexdigest()[:16]
    async with platform.force_session(scene.force_id) as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        submission = await open_submission(session, request)
        store = await platform.force_storage(
            session, await force_info(session, scene.force_id), "s3"
        )
        key = f"originals/{request.id}/{name}"
        state = await store.begin(key)
        size, state = await store.append(key, state, 0, chunks(data))
        upload = Upload(
            force_id=scene.force_id,
            public_id=name,
            request_id=request.id,
            submission_id=submission.id,
            storage_backend="s3",
            storage_key=key,
            storage_state=state,
            length=len(data),
            offset=size,
            filename=f"{name}.png",
            declared_type="image/png",
            expires_at=request.expires_at,
        )
        session.add(upload)
        await session.commit()
    return await ingest_upload(platform, scene.force_id, upload.id)


async def dispose(platform: Platform, scene: Scene, item_id: int, *, destroy: bool) -> None:
    """Make the item a tombstone, with its original destroyed or (a fault) left in S3."""
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        if destroy:
            await destroy_stored_objects(platform, tx, item)
        await make_tombstone(tx.session, item)


def verify(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return invoke_exhibit(settings, "evidence", "verify", "--force", "kent", *args)


async def checks(platform: Platform, force_id: int) -> list[dict[str, Any]]:
    return [e.details for e in await audit_events(platform, force_id, "evidence.fixity_checked")]


async def test_a_clean_force_in_s3_passes_and_uploads_in_progress_are_not_orphans(
    settings: Settings, s3_platform: Platform, s3_scene: tuple[Scene, Config]
) -> None:
    scene, _ = s3_scene
    await arrived(s3_platform, scene, png())
    gone = await arrived(s3_platform, scene, png(colour=(0, 90, 0)))
    await dispose(s3_platform, scene, gone.id, destroy=True)
    async with s3_platform.force_session(scene.force_id) as session:
        store = await s3_platform.force_storage(
            session, await force_info(session, scene.force_id), "s3"
        )
    # A witness's upload still on its way: staged in the bucket, no object yet.
    state = await store.begin("originals/1/still-arriving")
    await store.append("originals/1/still-arriving", state, 0, chunks(b"half a file"))

    quick = verify(settings)
    full = verify(settings, "--full")

    assert quick.returncode == 0, quick.stdout + quick.stderr
    assert quick.stdout.splitlines() == [
        "kent: quick check of 2 items (1 originals, 0 derivatives, 1 disposed of): all well"
    ]
    assert full.returncode == 0, full.stdout + full.stderr
    assert [c["mode"] for c in await checks(s3_platform, scene.force_id)] == ["quick", "full"]


async def test_each_kind_of_damage_in_s3_is_reported_and_audited(
    settings: Settings, s3_platform: Platform, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    scene, config = s3_scene
    deleted = await arrived(s3_platform, scene, png(colour=(1, 0, 0)))
    truncated = await arrived(s3_platform, scene, png(colour=(2, 0, 0)))
    altered = await arrived(s3_platform, scene, png(colour=(3, 0, 0)))
    tombstone = await arrived(s3_platform, scene, png(colour=(4, 0, 0)))
    await dispose(s3_platform, scene, tombstone.id, destroy=False)
    bucket, prefix = config.bucket, config.prefix
    s3.delete_object(Bucket=bucket, Key=prefix + deleted.storage_key)
    body = s3.get_object(Bucket=bucket, Key=prefix + truncated.storage_key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=prefix + truncated.storage_key, Body=body[:-7])
    body = bytearray(s3.get_object(Bucket=bucket, Key=prefix + altered.storage_key)["Body"].read())
    body[-1] ^= 0xFF
    s3.put_object(Bucket=bucket, Key=prefix + altered.storage_key, Body=bytes(body))
    s3.put_object(Bucket=bucket, Key=f"{prefix}derivatives/77/stray.png", Body=b"stray")
    # Another force's objects beside this one's prefix are not this force's orphans.
    s3.put_object(Bucket=bucket, Key="essex/originals/1/theirs", Body=b"theirs")

    quick = verify(settings)
    full = verify(settings, "--full")

    expected = [
        f"kent: MISSING item {deleted.id} (case {CASE}) {deleted.storage_key}: "
        "original is missing from the store",
        f"kent: CHANGED item {truncated.id} (case {CASE}) {truncated.storage_key}: "
        f"original holds {truncated.size - 7} bytes where the record says {truncated.size}",
        f"kent: NOT-DISPOSED item {tombstone.id} (case {CASE}) {tombstone.storage_key}: "
        "original is still in the store although the item was disposed of",
        "kent: ORPHAN derivatives/77/stray.png: no item or derivative names it (s3)",
        "kent: quick check of 4 items (3 originals, 0 derivatives, 1 disposed of): "
        "1 missing, 1 changed, 1 left after disposal, 1 orphaned",
    ]
    assert quick.returncode == 1, quick.stderr
    assert quick.stdout.splitlines() == expected
    assert full.returncode == 1, full.stderr
    lines = full.stdout.splitlines()
    assert lines[:2] == expected[:2]
    assert lines[2].startswith(
        f"kent: CHANGED item {altered.id} (case {CASE}) {altered.storage_key}: "
        f"original has SHA-256 {hashlib.sha256(body).hexdigest()} where the record says "
        f"{altered.sha256}"
    )
    assert lines[3:5] == expected[2:4]
    assert "1 missing, 2 changed, 1 left after disposal, 1 orphaned" in lines[5]
    quick_details, full_details = await checks(s3_platform, scene.force_id)
    assert quick_details["items_missing"] == full_details["items_missing"] == [deleted.id]
    assert quick_details["items_changed"] == [truncated.id]
    assert full_details["items_changed"] == [truncated.id, altered.id]
    assert full_details["items_not_disposed"] == [tombstone.id]
    assert full_details["orphan_keys"] == ["derivatives/77/stray.png"]


async def test_orphans_in_s3_are_found_batch_by_batch_in_key_order(
    settings: Settings,
    s3_platform: Platform,
    s3_scene: tuple[Scene, Config],
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fixity, "KEYS_PER_LOOKUP", 2)
    scene, config = s3_scene
    kept = [await arrived(s3_platform, scene, png(colour=(n, 5, 0))) for n in range(3)]
    (request_id,) = {item.storage_key.split("/")[1] for item in kept}
    # Beside the items' own keys, so that batches hold both named keys and orphans.
    strays = [f"originals/{request_id}/{name}" for name in ("0-stray", "9-stray", "f-stray")]
    strays += ["derivatives/7/stray.png", "originals/999/stray"]
    for key in strays:
        s3.put_object(Bucket=config.bucket, Key=config.prefix + key, Body=b"stray")

    result = verify(settings)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        *(f"kent: ORPHAN {key}: no item or derivative names it (s3)" for key in sorted(strays)),
        "kent: quick check of 3 items (3 originals, 0 derivatives, 0 disposed of): 5 orphaned",
    ]
    (details,) = await checks(s3_platform, scene.force_id)
    assert details["orphan_keys"] == sorted(strays)


async def point_at_nothing(platform: Platform, scene: Scene, config: Config) -> None:
    """Point the force's S3 settings at a port where nothing answers (one attempt a call)."""
    async with force_transaction(platform, scene.force_id) as tx:
        await configure_plugin(
            tx.session,
            platform.plugins,
            platform.secret_box,
            scene.force_id,
            "storage_s3",
            enabled=True,
            config={
                "bucket": config.bucket,
                "prefix": config.prefix,
                "endpoint_url": f"http://127.0.0.1:{free_port()}",
                "access_key_id": ACCESS_KEY,
                "secret_access_key": {"value": SECRET_KEY},
                "max_attempts": 1,
            },
            actor="test",
        )


async def test_an_unreachable_store_gives_status_2_and_a_clear_message(
    settings: Settings, s3_platform: Platform, s3_scene: tuple[Scene, Config]
) -> None:
    scene, config = s3_scene
    await arrived(s3_platform, scene, png())
    await point_at_nothing(s3_platform, scene, config)

    # In a process of its own, as an operator runs it: a fresh interpreter loads the plugin.
    result = run_exhibit(settings, "evidence", "verify", "--force", "kent")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().endswith(
        "kent: the check could not run: store 's3' could not be listed: "
        "S3 listing objects failed: EndpointConnectionError"
    )
    assert "Traceback" not in result.stderr
    assert await checks(s3_platform, scene.force_id) == []
