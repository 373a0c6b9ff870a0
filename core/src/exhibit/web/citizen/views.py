"""What the citizen pages show, read in the force's own session, and the first-view mark.

Nothing here reads the case: a witness sees the officer's message, the incident details the
officer chose to give, and the files they sent, nothing more.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_info
from exhibit.platform import Platform, ProviderUnavailable
from exhibit.storage.backend import StorageError
from exhibit.storage.capabilities import DEFAULT_UPLOAD_CHUNK, upload_chunk_size
from exhibit.uploads.models import EvidenceRequest, RequestState, Submission, Upload

UPLOAD_ENDPOINT = "/uploads/"
_NOT_OPENED = (RequestState.CREATED, RequestState.SENT)


@dataclass(frozen=True)
class ReceivedFile:
    """A file that arrived: as stored, with the SHA-256 of the stored bytes."""

    name: str
    size: int
    sha256: str
    caption: str
    quarantined: bool


@dataclass(frozen=True)
class UnfinishedFile:
    """An upload begun but not finished (the witness may resume or remove it)."""

    name: str
    size: int
    received_bytes: int
    url: str


@dataclass(frozen=True)
class FileLists:
    """The files of the submission in progress."""

    received: list[ReceivedFile]
    unfinished: list[UnfinishedFile]

    @property
    def problem(self) -> str | None:
        """The message key saying why the witness cannot send yet, or None."""
        if self.unfinished:
            return "error_still_uploading"
        if not self.received:
            return "error_no_files"
        return None


@dataclass(frozen=True)
class RequestPage:
    """What the upload page shows of the request."""

    message: str
    incident_at: datetime | None
    incident_place: str
    expires_at: datetime
    max_files: int
    max_file_bytes: int
    upload_key: str
    chunk_bytes: int  # per request of an upload: what the force's store prefers

    @classmethod
    def of(cls, request: EvidenceRequest, chunk_bytes: int) -> "RequestPage":
        """The page's view of ``request``."""
        return cls(
            message=request.message,
            incident_at=request.incident_at,
            incident_place=request.incident_place,
            expires_at=request.expires_at,
            max_files=request.max_files,
            max_file_bytes=request.max_file_bytes,
            upload_key=f"r{request.id}",
            chunk_bytes=chunk_bytes,
        )


async def upload_chunk_bytes(platform: Platform, session: AsyncSession, force_id: int) -> int:
    """Bytes per request for the page's uploads: what the force's store prefers.

    A store that cannot be reached just now gets the default; the uploads themselves then
    say that storage is unavailable.
    """
    force = await force_info(session, force_id)
    backend_key = await session.scalar(select(Force.storage_backend).where(Force.id == force_id))
    try:
        backend = await platform.force_storage(session, force, backend_key or "")
    except (ProviderUnavailable, StorageError):
        return DEFAULT_UPLOAD_CHUNK
    return upload_chunk_size(backend)


@dataclass(frozen=True)
class ReceiptPage:
    """A completed submission as its receipt shows it."""

    reference: str
    statement: str
    completed_at: datetime
    files: list[ReceivedFile]
    sent_copy: bool


async def mark_opened(session: AsyncSession, request: EvidenceRequest) -> None:
    """Record the witness's first view of the page (state, time and audit). Not committed."""
    if request.state not in _NOT_OPENED:
        return
    request.state = RequestState.OPENED
    request.opened_at = utcnow()
    await audit.record(
        session,
        request.force_id,
        actor=f"witness:request:{request.id}",
        action="request.opened",
        object_type="request",
        object_id=request.id,
    )


async def file_lists(session: AsyncSession, request: EvidenceRequest) -> FileLists:
    """The received and unfinished files of the request's submission in progress."""
    submission_id = await session.scalar(
        select(Submission.id).where(
            Submission.request_id == request.id, Submission.completed_at.is_(None)
        )
    )
    if submission_id is None:
        return FileLists(received=[], unfinished=[])
    uploads = (
        await session.scalars(
            select(Upload)
            .where(
                Upload.submission_id == submission_id,
                Upload.completed_at.is_(None),
                Upload.terminated_at.is_(None),
            )
            .order_by(Upload.id)
        )
    ).all()
    return FileLists(
        received=await _received(session, submission_id),
        unfinished=[
            UnfinishedFile(
                name=upload.filename or upload.public_id,  # as the item will be named
                size=upload.length,
                received_bytes=upload.offset,
                url=f"{UPLOAD_ENDPOINT}{upload.public_id}",
            )
            for upload in uploads
        ],
    )


async def receipt(session: AsyncSession, request: EvidenceRequest) -> ReceiptPage | None:
    """The request's completed submission, or None if the witness has not sent yet."""
    submission = await session.scalar(
        select(Submission)
        .where(Submission.request_id == request.id, Submission.completed_at.is_not(None))
        .order_by(Submission.completed_at.desc())
        .limit(1)
    )
    if submission is None or submission.completed_at is None:
        return None
    return ReceiptPage(
        reference=submission.reference,
        statement=submission.statement,
        completed_at=submission.completed_at,
        files=await _received(session, submission.id),
        sent_copy=bool(request.channels),
    )


async def _received(session: AsyncSession, submission_id: int) -> list[ReceivedFile]:
    items = (
        await session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.submission_id == submission_id)
            .order_by(EvidenceItem.id)
        )
    ).all()
    return [
        ReceivedFile(
            name=item.original_filename,
            size=item.size,
            sha256=item.sha256,
            caption=item.caption,
            quarantined=item.review_state == ReviewState.QUARANTINED,
        )
        for item in items
    ]
