"""Ingest: a finished upload becomes an evidence item, hashed, typed and audited.

The SHA-256 is the one the store computed from the bytes it holds. The type comes from the
content (magic bytes), never from the file name or the declared type. A file whose content
is not an accepted kind, whose hash differs from the one the witness's device computed, or
that a force's validator refuses is kept as a *quarantined* item and reported to the
officer: nothing a witness sends is silently dropped.
"""

import logging
from collections.abc import AsyncIterator

import puremagic
from sqlalchemy import select

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.media.pipeline import enqueue_processing
from exhibit.platform import Platform
from exhibit.plugins import events
from exhibit.plugins.context import UploadCandidate
from exhibit.storage.backend import HEAD_BYTES, StorageBackend
from exhibit.uploads.arrivals import queue_arrival_note
from exhibit.uploads.models import EvidenceRequest, RequestState, Upload
from exhibit.uploads.submissions import item_info

log = logging.getLogger(__name__)


# What a witness may send: photos, video, audio and documents, by their real type.
ACCEPTED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/tiff",
        "image/bmp",
        "video/mp4",
        "video/quicktime",
        "video/3gpp",
        "video/3gpp2",
        "video/webm",
        "video/x-matroska",
        "video/x-msvideo",
        "video/avi",
        "video/mpeg",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/aac",
        "audio/wav",
        "audio/x-wav",
        "audio/ogg",
        "video/ogg",
        "audio/amr",
        "audio/flac",
        "audio/x-flac",
        "application/pdf",
    }
)
_ALIASES = {"image/x-png": "image/png", "audio/wave": "audio/wav", "audio/vnd.wave": "audio/wav"}


# ISO base media files (MP4, MOV, HEIC, 3GP, M4A) all start with an ``ftyp`` box; its major
# brand says which, where a generic magic-byte table guesses "video/mp4" for them all.
_FTYP_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic",
    b"hevx": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"3g2a": "video/3gpp2",
    b"3g2b": "video/3gpp2",
    b"3g2c": "video/3gpp2",
}


def _container_type(head: bytes) -> str | None:
    """The type of containers the magic-byte table misreads (ISO brands, AMR, Ogg)."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_BRANDS:
            return _FTYP_BRANDS[brand]
        return "video/3gpp" if brand.startswith(b"3gp") else None
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"OggS"):
        return "video/ogg" if b"\x80theora" in head else "audio/ogg"
    return None


def sniff_type(head: bytes) -> str:
    """The media type the leading bytes show, or ``application/octet-stream``."""
    if not head:
        return "application/x-empty"
    container = _container_type(head)
    if container is not None:
        return container
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return "application/octet-stream"
    for match in sorted(matches, key=lambda m: -m.confidence):
        if match.mime_type:
            mime_type = str(match.mime_type)
            return _ALIASES.get(mime_type, mime_type)
    return "application/octet-stream"


async def _read_head(backend: StorageBackend, key: str, size: int) -> bytes:
    parts = [chunk async for chunk in backend.read(key, 0, min(size, HEAD_BYTES))]
    return b"".join(parts)


async def ingest_upload(platform: Platform, force_id: int, upload_id: int) -> EvidenceItem:
    """Turn a fully received upload into an evidence item (idempotent: returns the existing).

    Call it once ``offset == length``. It completes the stored object, checks and types
    it, creates the item with its audit events, fires ``exhibit_evidence_received`` for the
    force's plugins and queues the note that tells the officer (``uploads.arrivals``).
    """
    async with platform.force_session(force_id) as session:
        upload = await session.get(Upload, upload_id)
        if upload is None:
            raise LookupError(f"no upload {upload_id}")
        if upload.item_id is not None:
            item = await session.get(EvidenceItem, upload.item_id)
            assert item is not None
            return item
        if upload.offset != upload.length:
            raise ValueError(f"upload {upload.public_id} is not complete")
        force = await force_info(session, force_id)
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
        backend = await platform.force_storage(session, force, upload.storage_backend)
        stored = await backend.complete(upload.storage_key, upload.storage_state)
        head = stored.known_head()
        if head is None:
            head = await _read_head(backend, upload.storage_key, stored.size)
        sniffed = sniff_type(head)

    storage_key = upload.storage_key
    problems = []
    if upload.client_sha256 and upload.client_sha256.lower() != stored.sha256:
        problems.append("the file's SHA-256 differs from the one the witness's device computed")
    if sniffed not in ACCEPTED_TYPES:
        problems.append(
            f"its content ({sniffed}) is not an accepted photo, video, audio or document"
        )
    if not problems:

        def open_stored() -> AsyncIterator[bytes]:
            return backend.read(storage_key, 0, stored.size)

        candidate = UploadCandidate(
            filename=upload.filename,
            declared_type=upload.declared_type,
            sniffed_type=sniffed,
            size=stored.size,
            sha256=stored.sha256,
            open=open_stored,
        )
        refusals = await events.refusals(
            platform.plugins, "exhibit_validate_upload", force, enabled, upload=candidate
        )
        problems += [f"{r.plugin_id}: {r.reason}" for r in refusals]

    async with force_transaction(platform, force_id) as tx:
        session = tx.session
        upload = await session.get(Upload, upload_id, with_for_update=True)
        assert upload is not None
        if upload.item_id is not None:  # another process got here first
            existing = await session.get(EvidenceItem, upload.item_id)
            assert existing is not None
            return existing
        request = await session.get(EvidenceRequest, upload.request_id)
        assert request is not None
        # The force's row is locked until commit (the audit chain would lock it anyway) before
        # the item takes its id, so a force's items take ids in the order they commit and a
        # client polling for the items after the last id it saw skips none (api/item_feed).
        await session.execute(select(Force.id).where(Force.id == force_id).with_for_update())
        item = EvidenceItem(
            force_id=force_id,
            case_id=request.case_id,
            submission_id=upload.submission_id,
            storage_backend=upload.storage_backend,
            storage_key=upload.storage_key,
            original_filename=upload.filename or upload.public_id,
            caption=upload.caption,
            size=stored.size,
            declared_type=upload.declared_type,
            sniffed_type=sniffed,
            sha256=stored.sha256,
            review_state=ReviewState.QUARANTINED if problems else ReviewState.PENDING,
            quarantine_reason="; ".join(problems)[:500],
        )
        session.add(item)
        await session.flush()
        upload.item_id = item.id
        upload.completed_at = utcnow()
        if request.state in (RequestState.CREATED, RequestState.SENT, RequestState.OPENED):
            request.state = RequestState.UPLOADING
        actor = f"witness:request:{request.id}"
        await audit.record(
            session,
            force_id,
            actor=actor,
            action="evidence.received",
            object_type="item",
            object_id=item.id,
            details={
                "sha256": stored.sha256,
                "size": stored.size,
                "sniffed_type": sniffed,
                "filename": item.original_filename,
                "upload": upload.public_id,
            },
        )
        if problems:
            await audit.record(
                session,
                force_id,
                actor="system",
                action="evidence.quarantined",
                object_type="item",
                object_id=item.id,
                reason=item.quarantine_reason,
            )
        if request.officer_id is not None:
            await queue_arrival_note(session, request.id)
        await enqueue_processing(session, platform, force, enabled, item)
        tx.emit("exhibit_evidence_received", item=item_info(item))
    if problems:
        log.warning("item %s of force %s quarantined", item.id, force.slug)
    return item
