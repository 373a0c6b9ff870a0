"""Ingest: a received upload becomes an item, hashed from the stored bytes and typed by content."""

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job, JobStatus
from exhibit.notifications.models import Notification
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.uploads.arrivals import ARRIVALS_JOB
from exhibit.uploads.ingest import ingest_upload, sniff_type
from exhibit.uploads.links import LinkProblem, LinkRefused, request_for_token
from exhibit.uploads.models import EvidenceRequest, RequestState, Upload
from exhibit.uploads.submissions import NothingToSubmit, complete_submission
from tests.fixtures.third_party import installed_plugin
from tests.fixtures.witness import make_scene, received_upload, sha256
from tests.notifications.helpers import run_jobs

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(4096)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(8192)
PDF = b"%PDF-1.7\n" + os.urandom(1024)
PE_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + os.urandom(2048)
ELF_EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + os.urandom(2048)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (JPEG, "image/jpeg"),
        (MP4, "video/mp4"),
        (PDF, "application/pdf"),
        (b"", "application/x-empty"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + bytes(64), "image/heif"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + bytes(64), "video/quicktime"),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom" + bytes(64), "audio/mp4"),
        (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isom3gp4" + bytes(64), "video/3gpp"),
        (b"#!AMR\n" + bytes(64), "audio/amr"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis" + bytes(32), "audio/ogg"),
        (b"OggS\x00\x02" + bytes(22) + b"\x80theora" + bytes(32), "video/ogg"),
    ],
)
def test_types_come_from_the_content(head: bytes, expected: str) -> None:
    assert sniff_type(head) == expected


async def test_a_received_file_becomes_an_item_with_the_stored_hash(platform: Platform) -> None:
    scene = await make_scene(platform)
    upload_id = await received_upload(
        platform,
        scene,
        MP4,
        filename="IMG_0042.MOV",
        declared_type="video/quicktime",
        client_sha256=sha256(MP4),
    )
    item = await ingest_upload(platform, scene.force_id, upload_id)
    again = await ingest_upload(platform, scene.force_id, upload_id)  # idempotent

    assert again.id == item.id
    assert (item.sha256, item.size, item.sniffed_type) == (sha256(MP4), len(MP4), "video/mp4")
    assert item.review_state == ReviewState.PENDING
    async with platform.force_session(scene.force_id) as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        events = list(await session.scalars(select(AuditEvent.action)))
        items = (await session.scalars(select(EvidenceItem))).all()
    assert request is not None
    assert request.state == RequestState.UPLOADING
    assert events.count("evidence.received") == 1
    assert len(items) == 1


async def _officer_notes(platform: Platform, force_id: int) -> list[str]:
    async with platform.force_session(force_id) as session:
        notes = await session.scalars(
            select(Notification)
            .where(Notification.purpose == "evidence_arrived")
            .order_by(Notification.id)
        )
        return [unseal(platform.secret_box, n.body_encrypted or "").body for n in notes]


async def _gathered(platform: Platform) -> int:
    """Let the arrival notes' wait pass, then run every due job; how many notes ran."""
    async with platform.system_session() as session:
        await session.execute(update(Job).where(Job.kind == ARRIVALS_JOB).values(run_at=utcnow()))
        waiting = await session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == ARRIVALS_JOB, Job.status == JobStatus.QUEUED)
        )
        await session.commit()
    await run_jobs(platform)
    return waiting or 0


async def test_the_officer_is_told_once_of_files_that_arrive_together(platform: Platform) -> None:
    scene = await make_scene(platform)
    for name, data in (("photo.jpg", JPEG), ("other.jpg", PE_EXECUTABLE)):
        upload_id = await received_upload(
            platform, scene, data, filename=name, declared_type="image/jpeg"
        )
        await ingest_upload(platform, scene.force_id, upload_id)
    await run_jobs(platform)
    assert await _officer_notes(platform, scene.force_id) == []  # gathering for a few minutes

    assert await _gathered(platform) == 2  # one job per file ...
    (note,) = await _officer_notes(platform, scene.force_id)  # ... one note
    assert "2 files arrived for your evidence request" in note
    assert "1 of them quarantined for checking" in note
    assert f"/cases/{scene.case_id}" in note
    assert scene.token not in note  # the officer's note carries no link

    later = await received_upload(
        platform, scene, MP4, filename="clip.mp4", declared_type="video/mp4"
    )
    await ingest_upload(platform, scene.force_id, later)
    assert await _gathered(platform) == 1
    notes = await _officer_notes(platform, scene.force_id)
    assert len(notes) == 2
    assert "1 file arrived for your evidence request" in notes[1]
    assert "quarantined" not in notes[1]


@pytest.mark.parametrize(
    ("data", "filename", "declared", "reason"),
    [
        (PE_EXECUTABLE, "holiday.jpg", "image/jpeg", "is not an accepted"),
        (ELF_EXECUTABLE, "clip.mp4", "video/mp4", "is not an accepted"),
    ],
)
async def test_a_disguised_file_is_quarantined_not_dropped(
    platform: Platform, data: bytes, filename: str, declared: str, reason: str
) -> None:
    scene = await make_scene(platform)
    upload_id = await received_upload(
        platform, scene, data, filename=filename, declared_type=declared
    )
    item = await ingest_upload(platform, scene.force_id, upload_id)
    assert item.review_state == ReviewState.QUARANTINED
    assert reason in item.quarantine_reason
    assert item.sha256 == sha256(data)
    async with platform.force_session(scene.force_id) as session:
        events = list(await session.scalars(select(AuditEvent.action)))
    assert "evidence.quarantined" in events


async def test_a_hash_that_differs_from_the_devices_is_quarantined(platform: Platform) -> None:
    scene = await make_scene(platform)
    upload_id = await received_upload(
        platform,
        scene,
        JPEG,
        filename="a.jpg",
        declared_type="image/jpeg",
        client_sha256="0" * 64,
    )
    item = await ingest_upload(platform, scene.force_id, upload_id)
    assert item.review_state == ReviewState.QUARANTINED
    assert "SHA-256 differs" in item.quarantine_reason


SCANNER = """
from exhibit.plugins import hookimpl

seen = []

@hookimpl
async def exhibit_validate_upload(upload):
    chunks = [c async for c in upload.open()]
    seen.append((upload.filename, len(b"".join(chunks)), upload.sha256))
    return "EICAR test signature" if b"EICAR" in b"".join(chunks) else None

@hookimpl
async def exhibit_evidence_received(force, item):
    seen.append(("received", item.sha256))
"""


async def test_an_enabled_validator_reads_the_bytes_and_may_refuse(
    settings: Settings, tmp_path: Path
) -> None:
    with installed_plugin(tmp_path / "site", "scanner", SCANNER) as module_name:
        platform = Platform(settings, load_plugins())
        try:
            scene = await make_scene(platform)
            async with force_transaction(platform, scene.force_id) as tx:
                await configure_plugin(
                    tx.session,
                    platform.plugins,
                    platform.secret_box,
                    scene.force_id,
                    "scanner",
                    enabled=True,
                    config=None,
                    actor="test",
                )
            clean = await received_upload(
                platform, scene, PDF, filename="a.pdf", declared_type="application/pdf"
            )
            dirty_bytes = PDF + b"EICAR"
            dirty = await received_upload(
                platform, scene, dirty_bytes, filename="b.pdf", declared_type="application/pdf"
            )
            clean_item = await ingest_upload(platform, scene.force_id, clean)
            dirty_item = await ingest_upload(platform, scene.force_id, dirty)
        finally:
            await platform.close()
        seen = sys.modules[module_name].seen
    assert clean_item.review_state == ReviewState.PENDING
    assert dirty_item.review_state == ReviewState.QUARANTINED
    assert dirty_item.quarantine_reason == "scanner: EICAR test signature"
    assert ("a.pdf", len(PDF), sha256(PDF)) in seen
    assert ("received", sha256(PDF)) in seen


async def test_finishing_a_submission_sends_a_receipt_and_closes_the_link(
    platform: Platform,
) -> None:
    scene = await make_scene(platform)
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        with pytest.raises(NothingToSubmit):
            await complete_submission(tx, platform.secret_box, request, statement="")
    upload_id = await received_upload(
        platform, scene, JPEG, filename="front door.jpg", declared_type="image/jpeg"
    )
    await ingest_upload(platform, scene.force_id, upload_id)
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        submission = await complete_submission(
            tx, platform.secret_box, request, statement="I saw two people at 10pm."
        )
    assert submission.reference.startswith("EXH-")

    async with platform.force_session(scene.force_id) as session:
        receipt = (
            await session.scalars(select(Notification).where(Notification.purpose == "receipt"))
        ).one()
        upload = await session.get(Upload, upload_id)
    body = unseal(platform.secret_box, receipt.body_encrypted or "").body
    assert submission.reference in body
    assert "front door.jpg" in body
    assert sha256(JPEG) in body
    assert upload is not None and upload.completed_at is not None

    async with platform.system_session() as session:
        with pytest.raises(LinkRefused) as refused:
            await request_for_token(session, scene.token)
        assert refused.value.problem == LinkProblem.SUBMITTED
        receipt_view = await request_for_token(session, scene.token, allow_submitted=True)
    assert receipt_view.state == RequestState.SUBMITTED
