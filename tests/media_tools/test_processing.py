"""Photos, video and audio made here go through the job queue and come back described."""

import hashlib
import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.evidence.disposal import destroy_stored_objects, make_tombstone
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job, JobStatus
from exhibit.platform import Platform
from exhibit_media_tools.redaction_job import queue_redaction
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome, stored_bytes, submit

LOCATION = {"location": "+51.5007-000.1246/", "creation_time": "2026-11-20T21:15:30Z"}
PHOTOS = {"IMG_0001.JPG", "IMG_0002.HEIC"}


async def test_each_family_yields_metadata_previews_and_provenance(
    media_platform: Platform, scene: Scene, tmp_path: Path
) -> None:
    photo = media.photo(media.scene(800, 600), "JPEG", media.exif(orientation=6), quality=95)
    files = {
        "IMG_0001.JPG": photo,
        "IMG_0002.HEIC": media.photo(
            media.scene(800, 600, seed=2), "HEIF", media.exif(orientation=6)
        ),
        "IMG_0003.MP4": media.video(tmp_path / "a.mp4", metadata=LOCATION, rotation=90),
        "IMG_0004.MOV": media.video(
            tmp_path / "b.mov", codec="libx265", fmt="mov", metadata=LOCATION
        ),
        "voice.3gp": media.audio(
            tmp_path / "c.3gp", codec="libopencore_amrnb", fmt="3gp", rate=8000
        ),
    }
    ids = {name: await submit(media_platform, scene, data, name) for name, data in files.items()}
    assert await drain(media_platform) >= len(files)

    results = {name: await outcome(media_platform, scene.force_id, i) for name, i in ids.items()}
    for name, result in results.items():
        steps = {"media_tools"} if name in PHOTOS else {"media_tools", "media_tools_proxy"}
        assert {r.processor: r.status for r in result.runs} == dict.fromkeys(steps, "succeeded"), (
            name,
            result.runs,
        )
        assert result.item.sha256 == hashlib.sha256(files[name]).hexdigest()
        stored = await stored_bytes(media_platform, scene.force_id, result.item.storage_key)
        assert stored == files[name]  # the original is untouched
        for derivative in result.derivatives:
            data = await stored_bytes(media_platform, scene.force_id, derivative.storage_key)
            assert hashlib.sha256(data).hexdigest() == derivative.output_sha256
            assert derivative.input_sha256 == result.item.sha256
            step = "media_tools_proxy" if derivative.kind == "proxy" else "media_tools"
            assert derivative.processor == f"{step} 1.0"
            versions = derivative.parameters["library_versions"]
            assert versions["Pillow"] and versions["exhibit-media-tools"]
            if derivative.tool == "PyAV":
                assert versions["PyAV"] and versions["libavcodec"]
            assert derivative.size == len(data)

    jpeg = results["IMG_0001.JPG"]
    assert jpeg.item.capture_metadata["gps"] == {"latitude": 51.5007, "longitude": -0.1246}
    assert jpeg.item.capture_metadata["capture_time"] == "2026-11-20T21:15:30+00:00"
    assert jpeg.item.capture_metadata["make"] == "Apple"
    assert jpeg.item.capture_metadata["rotation"] == 90
    (thumb,) = jpeg.derivatives
    thumbnail = Image.open(
        io.BytesIO(await stored_bytes(media_platform, scene.force_id, thumb.storage_key))
    )
    assert thumbnail.height > thumbnail.width  # turned upright: 800x600 shot held sideways
    assert thumb.tool_version.startswith("Pillow ")

    heic = results["IMG_0002.HEIC"].item.capture_metadata
    assert (heic["format"], heic["model"]) == ("HEIF", "iPhone 15")
    # Held sideways, as the JPEG: the camera's orientation and the size as stored, although
    # the HEIF decoder turns the picture itself.
    assert (heic["orientation"], heic["rotation"]) == (6, 90)
    assert (heic["width"], heic["height"]) == (800, 600)
    (heic_thumb,) = results["IMG_0002.HEIC"].derivatives
    heic_thumbnail = Image.open(
        io.BytesIO(await stored_bytes(media_platform, scene.force_id, heic_thumb.storage_key))
    )
    assert heic_thumbnail.height > heic_thumbnail.width

    mp4 = results["IMG_0003.MP4"]
    meta = mp4.item.capture_metadata
    assert (meta["video_codec"], meta["audio_codec"], meta["width"], meta["height"]) == (
        "h264",
        "aac",
        320,
        240,
    )
    assert meta["gps"]["latitude"] == 51.5007
    assert meta["capture_time"].startswith("2026-11-20T21:15:30")
    assert 1.9 < meta["duration_seconds"] < 2.2
    assert meta["rotation"] in (90, 270)
    kinds = {d.kind: d for d in mp4.derivatives}
    assert set(kinds) == {"poster", "proxy"}  # rotated, so the browser gets an upright copy
    proxy = await stored_bytes(media_platform, scene.force_id, kinds["proxy"].storage_key)
    assert proxy[4:8] == b"ftyp"
    assert kinds["proxy"].parameters["video"]["codec"] == "libx264"
    poster = Image.open(
        io.BytesIO(await stored_bytes(media_platform, scene.force_id, kinds["poster"].storage_key))
    )
    assert poster.height > poster.width

    hevc = results["IMG_0004.MOV"]
    assert hevc.item.capture_metadata["video_codec"] == "hevc"
    assert {d.kind for d in hevc.derivatives} == {"poster", "proxy"}

    amr = results["voice.3gp"]
    assert amr.item.capture_metadata["audio_codec"] == "amrnb"
    assert [d.kind for d in amr.derivatives] == ["proxy"]

    async with media_platform.force_session(scene.force_id) as session:
        actions = list(await session.scalars(select(AuditEvent.action)))
        jobs = list(await session.scalars(select(Job).where(Job.kind == "media.process")))
    assert actions.count("media.processed") == len(files) + len(files) - len(PHOTOS)
    assert actions.count("derivative.created") == sum(len(r.derivatives) for r in results.values())
    assert all(job.status == JobStatus.SUCCEEDED for job in jobs)


async def test_a_job_run_twice_records_once(media_platform: Platform, scene: Scene) -> None:
    item_id = await submit(media_platform, scene, media.photo(media.scene(), "PNG"), "a.png")
    await drain(media_platform)
    from exhibit.media.pipeline import run_processor

    await run_processor(media_platform, scene.force_id, item_id, "media_tools")
    result = await outcome(media_platform, scene.force_id, item_id)
    assert len(result.runs) == 1
    assert len(result.derivatives) == 1


async def test_nothing_made_from_an_item_disposed_of_meanwhile_is_kept(
    media_platform: Platform, scene: Scene
) -> None:
    photo = media.photo(media.scene(800, 600), "JPEG", media.exif(), quality=95)
    item_id = await submit(media_platform, scene, photo, "IMG_0005.JPG")
    async with force_transaction(media_platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        item.disposed_at = utcnow()  # the disposal lands while the job waits or runs

    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    assert result.derivatives == []
    storage = media_platform.settings.storage_dir
    kept = [p for p in storage.rglob("*") if p.is_file() and result.item.storage_key not in str(p)]
    assert not [p for p in kept if "derivative" in str(p)], kept


async def test_jobs_for_an_item_disposed_of_before_they_ran_do_nothing_and_end(
    media_platform: Platform, scene: Scene
) -> None:
    photo = media.photo(media.face_scene(), "JPEG", media.exif(), quality=95)
    item_id = await submit(media_platform, scene, photo, "IMG_0006.JPG")
    async with force_transaction(media_platform, scene.force_id) as tx:
        await queue_redaction(
            tx.session, item_id, actor="user:1", reason="disclosure", boxes=[],
            detect_faces=True, disclosure=True,
        )  # fmt: skip
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        await destroy_stored_objects(media_platform, tx, item)  # as a disposal does
        await make_tombstone(tx.session, item)

    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    assert (result.runs, result.derivatives) == ([], [])
    async with media_platform.force_session(scene.force_id) as session:
        kinds = ("media.process", "media_tools.redact")
        jobs = list(await session.scalars(select(Job).where(Job.kind.in_(kinds))))
    # not retried against bytes that no longer exist, and nothing to alarm anyone
    assert {(job.kind, job.status) for job in jobs} == {
        ("media.process", JobStatus.SUCCEEDED),
        ("media_tools.redact", JobStatus.SUCCEEDED),
    }
