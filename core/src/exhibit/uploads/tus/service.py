"""Uploads through the tus protocol in terms of the database and the force's store (no HTTP).

The upload's offset lives in the database, so any app process can continue an upload that
another began. A request that writes (or discards) first takes the upload's lease, so one
writer at a time touches the stored bytes; the lease is released with the offset actually
stored, whatever happened to the request body. When the store and the database disagree
(a process died between writing and recording), the store's size wins.
"""

import asyncio
import logging
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, or_, select, update

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.context import ForceInfo
from exhibit.storage.backend import ObjectNotFound, OffsetMismatch, StorageBackend, UploadBusy
from exhibit.uploads.ingest import ingest_upload
from exhibit.uploads.models import EvidenceRequest, RequestState, Upload
from exhibit.uploads.submissions import open_submission
from exhibit.uploads.tus.access import Link
from exhibit.uploads.tus.lease import LEASE, Lease, UploadLocked, grant, new_holder, renewing
from exhibit.uploads.tus.protocol import Checksum, UploadMetadata

log = logging.getLogger(__name__)

MAX_LIFETIME = timedelta(hours=24)
"""An unfinished upload is discarded this long after it began or last received bytes, and
never later than its link's expiry: a witness can resume a large file over days while the
link lasts, and an abandoned one does not hold storage for longer than this."""


class UploadNotFound(LookupError):
    """No such upload for this link (it may exist for another: that is not revealed)."""


class UploadGone(Exception):
    """The upload was terminated or expired; the client must start again."""


class OffsetConflict(Exception):
    """The chunk does not start where the upload stands; ``offset`` is where it does."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"the upload is at offset {offset}")
        self.offset = offset


class UploadTooLarge(Exception):
    """The file, or the chunk, would go past the size allowed."""


class TooManyFiles(Exception):
    """The link's file limit is reached."""


class ChecksumMismatch(Exception):
    """The chunk's checksum did not match; the chunk was discarded."""


class UploadIsEvidence(Exception):
    """A completed upload is an evidence item now and cannot be terminated."""


class BodyInterrupted(Exception):
    """The client's body stopped before its end (the connection dropped)."""


class _NotDue(Exception):
    """The sweep found an upload that is finished, or whose time has not run out."""


@dataclass(frozen=True)
class UploadView:
    """What the protocol tells a client about an upload."""

    public_id: str
    length: int
    offset: int
    expires_at: datetime
    metadata: UploadMetadata
    completed: bool


@dataclass(frozen=True)
class Chunk:
    """Bytes for an upload: where they start, the stream, its size if known, its checksum."""

    offset: int
    body: AsyncIterable[bytes]
    size: int | None = None
    checksum: Checksum | None = None


@dataclass
class _Claim:
    """An upload under this request's lease, with where it stands as the request goes on."""

    upload: Upload
    lease: Lease
    backend: StorageBackend
    offset: int
    state: dict[str, Any]
    claimed_at: datetime
    link_expires_at: datetime

    @property
    def expires_at(self) -> datetime:
        """When the upload lapses: ``MAX_LIFETIME`` after the start of the last request
        that added bytes to it, never past its link's expiry."""
        if self.offset > self.upload.offset:
            return min(self.link_expires_at, self.claimed_at + MAX_LIFETIME)
        return self.upload.expires_at


_Acceptance = Callable[[Upload, datetime], None]

# The states in which a link's token opens its uploads (``links.request_for_token`` agrees;
# a state missing here only sends a request the ordinary way, which decides).
_UPLOADABLE = (
    RequestState.CREATED,
    RequestState.SENT,
    RequestState.OPENED,
    RequestState.UPLOADING,
)


async def create_upload(
    platform: Platform, link: Link, length: int, metadata: UploadMetadata
) -> UploadView:
    """Begin an upload of ``length`` bytes through ``link``, audited as ``upload.started``.

    Raises ``UploadTooLarge`` past the link's size limit and ``TooManyFiles`` once the link
    has as many uploads (finished or not, but not terminated) as it allows.
    """
    if length > link.max_file_bytes:
        raise UploadTooLarge(f"files are limited to {link.max_file_bytes} bytes")
    public_id = secrets.token_hex(16)
    key = f"originals/{link.request_id}/{public_id}"
    begun: tuple[StorageBackend, dict[str, Any]] | None = None
    try:
        async with force_transaction(platform, link.force_id) as tx:
            session = tx.session
            # Locking the request makes concurrent creations count one after the other.
            request = await session.get(EvidenceRequest, link.request_id, with_for_update=True)
            force = await session.get(Force, link.force_id)
            assert request is not None
            assert force is not None
            started = await session.scalar(
                select(func.count(Upload.id)).where(
                    Upload.request_id == request.id, Upload.terminated_at.is_(None)
                )
            )
            if (started or 0) >= request.max_files:
                raise TooManyFiles(f"this link accepts at most {request.max_files} files")
            submission = await open_submission(session, request)
            backend = await platform.force_storage(tx.session, tx.force, force.storage_backend)
            begun = backend, await backend.begin(key)
            upload = Upload(
                force_id=link.force_id,
                public_id=public_id,
                request_id=request.id,
                submission_id=submission.id,
                storage_backend=force.storage_backend,
                storage_key=key,
                storage_state=begun[1],
                length=length,
                offset=0,
                filename=metadata.filename,
                declared_type=metadata.filetype,
                caption=metadata.caption,
                client_sha256=metadata.sha256,
                expires_at=min(request.expires_at, utcnow() + MAX_LIFETIME),
            )
            session.add(upload)
            await session.flush()
            await audit.record(
                session,
                link.force_id,
                actor=f"witness:request:{request.id}",
                action="upload.started",
                object_type="upload",
                object_id=upload.id,
                details={"upload": public_id, "length": length, "submission": submission.id},
            )
    except BaseException:
        if begun is not None:
            await begun[0].abort(key, begun[1])
        raise
    return _view(upload, upload.offset)


async def describe_upload(platform: Platform, link: Link, public_id: str) -> UploadView:
    """Where an upload of this link stands (``UploadNotFound``, ``UploadGone``)."""
    async with platform.force_session(link.force_id) as session:
        upload = await session.scalar(select(Upload).where(*_of_link(link, public_id)))
    if upload is None:
        raise UploadNotFound(public_id)
    _require_alive(upload, utcnow())
    return _view(upload, upload.offset)


async def write_chunk(platform: Platform, link: Link, public_id: str, chunk: Chunk) -> UploadView:
    """Append ``chunk`` to an upload of ``link``; once the last byte is in, ingest the file.

    Raises ``OffsetConflict`` (nothing written) unless the chunk starts at the upload's
    offset, ``UploadTooLarge`` (chunk discarded) for bytes past the upload's length,
    ``ChecksumMismatch`` (chunk discarded) for a chunk that fails its checksum, and
    ``UploadLocked`` while another request writes to the upload. If the body breaks off,
    the bytes stored so far count and the body's exception is re-raised.
    """
    async with _claimed(platform, link.force_id, _of_link(link, public_id), _require_alive) as c:
        return await _write(platform, c, chunk)


async def write_chunk_with_token(
    platform: Platform, token_hash: str, public_id: str, chunk: Chunk
) -> UploadView | None:
    """``write_chunk`` in one step for the common case, or None to take the ordinary path.

    One conditional write checks the link (its token hash names a request that is neither
    expired, revoked nor submitted), finds the upload of that request, checks that it is
    alive, unfinished and at ``chunk.offset``, and takes its lease. When any condition
    fails nothing is written, the body is left unread and None comes back: the caller
    then opens the link and passes the same chunk to ``write_chunk``, which says exactly
    what is wrong. Once the lease is held, the chunk goes the same way as in
    ``write_chunk`` (same refusals).
    """
    taken = await _take_with_token(platform, token_hash, public_id, chunk.offset)
    if taken is None:
        return None
    async with _holding(platform, *taken) as c:
        return await _write(platform, c, chunk)


async def _write(platform: Platform, c: _Claim, chunk: Chunk) -> UploadView:
    """Append ``chunk`` under the lease ``c``; ingest the file once its last byte is in."""
    upload = c.upload
    if chunk.offset != c.offset:
        raise OffsetConflict(c.offset)
    room = upload.length - c.offset
    if chunk.size is not None and chunk.size > room:
        raise UploadTooLarge("the chunk goes past the upload's length")
    if room == 0:
        await _require_empty(chunk.body)
    else:
        await _append(c, chunk)
    completed = upload.completed_at is not None
    if c.offset == upload.length and not completed:
        await _record_offset(platform, c)
        await ingest_upload(platform, c.lease.force_id, upload.id)
        completed = True
    return _view(upload, c.offset, completed=completed, expires_at=c.expires_at)


async def terminate_upload(platform: Platform, link: Link, public_id: str) -> None:
    """Discard an unfinished upload of ``link`` (audited ``upload.terminated``).

    Raises ``UploadIsEvidence`` for a completed upload: it is an evidence item now.
    """
    async with _claimed(platform, link.force_id, _of_link(link, public_id), _require_alive) as c:
        if c.upload.completed_at is not None or c.upload.item_id is not None:
            raise UploadIsEvidence("a completed upload is evidence and cannot be deleted")
        await _discard(platform, c, actor=f"witness:request:{link.request_id}", action="terminated")


def upload_due(now: datetime) -> ColumnElement[bool]:
    """Whether an unfinished upload is due to be discarded: its time ran out, or its link
    was revoked (the witness can never finish it, so its bytes are not kept a day longer)."""
    return or_(Upload.expires_at <= now, EvidenceRequest.state == RequestState.REVOKED)


async def expire_upload(platform: Platform, force_id: int, upload_id: int) -> bool:
    """Deal with an unfinished upload that is due (``upload_due``): discard it, audited
    ``upload.expired`` (with the reason "its link was revoked" where it was).

    An upload whose bytes all arrived but which was never ingested (its process died at
    the last moment) is ingested instead: nothing a witness sent in full is dropped.
    Returns True if the upload was discarded; False if it was busy, finished, not due or gone.
    """
    due = (Upload.id == upload_id, upload_due(utcnow()))
    try:
        async with _claimed(platform, force_id, due, _require_unfinished) as c:
            if c.offset == c.upload.length:
                await ingest_upload(platform, force_id, upload_id)
                return False
            revoked = c.upload.expires_at > utcnow()
            reason = "its link was revoked" if revoked else ""
            await _discard(platform, c, actor="system", action="expired", reason=reason)
    except (UploadNotFound, UploadLocked, _NotDue):
        return False
    return True


# --- the lease and the stored bytes ----------------------------------------------------------


@asynccontextmanager
async def _claimed(
    platform: Platform,
    force_id: int,
    criteria: Sequence[ColumnElement[bool]],
    accept: _Acceptance,
) -> AsyncIterator[_Claim]:
    """Take the lease on the upload matching ``criteria``; release it with the offset reached."""
    holder, now = new_holder(), utcnow()
    async with platform.force_session(force_id) as session:
        # The force comes in the same round trip: every chunk of every upload passes here.
        found = (
            await session.execute(
                select(Upload, Force, EvidenceRequest.expires_at)
                .join(Force, Force.id == Upload.force_id)
                .join(EvidenceRequest, EvidenceRequest.id == Upload.request_id)
                .where(*criteria)
                .with_for_update(of=Upload)
            )
        ).first()
        if found is None:
            raise UploadNotFound("no such upload")
        upload, force_row, link_expires_at = found
        accept(upload, now)
        grant(upload, holder, now)
        await session.commit()
    force = ForceInfo(id=force_row.id, slug=force_row.slug, name=force_row.name)
    async with _holding(platform, upload, force, holder, link_expires_at) as claim:
        yield claim


async def _take_with_token(
    platform: Platform, token_hash: str, public_id: str, offset: int
) -> tuple[Upload, ForceInfo, str, datetime] | None:
    """Take the lease on a live upload at ``offset`` of the live link ``token_hash``, or None.

    The token check and the claim are one committed UPDATE, so a chunk costs two database
    writes (this and the release), like a job claim. The session is unscoped because the
    force is not known before the token is matched; the upload found is tied to the token's
    request, hence to its force, by the statement itself.
    """
    holder, now = new_holder(), utcnow()
    values = {
        "token_hash": token_hash,
        "upload_public_id": public_id,
        "at_offset": offset,
        "now": now,
        "holder": holder,
        "until": now + LEASE,
    }
    async with platform.system_session() as session:
        found = (await session.execute(_CLAIM_WITH_TOKEN, values)).first()
        if found is None:
            await session.rollback()
            return None
        await session.commit()
    upload, slug, name, link_expires_at = found
    return upload, ForceInfo(id=upload.force_id, slug=slug, name=name), holder, link_expires_at


def _of_force(column: Any) -> Any:
    """A column of the upload's force, for the claim's RETURNING (one round trip)."""
    return select(column).where(Force.id == Upload.force_id).scalar_subquery()


def _of_request(column: Any) -> Any:
    """A column of the upload's request (its link), for the claim's RETURNING."""
    return select(column).where(EvidenceRequest.id == Upload.request_id).scalar_subquery()


def _claim_with_token() -> Any:
    """The statement of ``_take_with_token``, built once: every chunk of every upload runs it."""
    now: BindParameter[datetime] = bindparam("now")
    live_request = (
        select(EvidenceRequest.id)
        .where(
            EvidenceRequest.token_hash == bindparam("token_hash"),
            EvidenceRequest.state.in_(_UPLOADABLE),
            EvidenceRequest.expires_at > now,
        )
        .scalar_subquery()
    )
    return (
        update(Upload)
        .where(
            Upload.public_id == bindparam("upload_public_id"),
            Upload.request_id == live_request,
            Upload.offset == bindparam("at_offset"),
            Upload.offset < Upload.length,
            Upload.terminated_at.is_(None),
            Upload.completed_at.is_(None),
            Upload.expires_at > now,
            or_(
                Upload.locked_by.is_(None),
                Upload.locked_until.is_(None),
                Upload.locked_until <= now,
            ),
        )
        .values(locked_by=bindparam("holder"), locked_until=bindparam("until"))
        .returning(
            Upload,
            _of_force(Force.slug),
            _of_force(Force.name),
            _of_request(EvidenceRequest.expires_at),
        )
        .execution_options(synchronize_session=False)
    )


_CLAIM_WITH_TOKEN = _claim_with_token()


@asynccontextmanager
async def _holding(
    platform: Platform, upload: Upload, force: ForceInfo, holder: str, link_expires_at: datetime
) -> AsyncIterator[_Claim]:
    """Keep the lease just taken on ``upload`` renewed; release it with the offset reached
    and, if bytes were added, its later expiry (``_Claim.expires_at``)."""
    async with platform.force_session(force.id) as session:
        backend = await platform.force_storage(session, force, upload.storage_backend)
    claim = _Claim(
        upload=upload,
        lease=Lease(upload.force_id, upload.id, holder),
        backend=backend,
        offset=upload.offset,
        state=upload.storage_state,
        claimed_at=utcnow(),
        link_expires_at=link_expires_at,
    )
    try:
        async with renewing(platform, claim.lease):
            yield claim
    finally:
        await asyncio.shield(_release(platform, claim))


async def _append(claim: _Claim, chunk: Chunk) -> None:
    """Stream ``chunk`` into the store, keeping ``claim`` in step with what is stored."""
    upload, start = claim.upload, claim.offset
    hasher = chunk.checksum.hasher() if chunk.checksum else None
    body = _metered(chunk.body, upload.length - start, hasher, claim.lease)
    try:
        claim.offset, claim.state = await claim.backend.append(
            upload.storage_key, claim.state, start, body
        )
    except OffsetMismatch as mismatch:
        # The store holds more (or less) than the database recorded: a process died between
        # writing and recording. The store is right; the client asks again and resumes.
        if 0 <= mismatch.expected <= upload.length:
            claim.offset = mismatch.expected
        raise OffsetConflict(claim.offset) from None
    except UploadBusy:
        raise UploadLocked("another request is writing to this upload") from None
    except ObjectNotFound:
        raise UploadGone("the partial upload is gone") from None
    except UploadLocked:
        raise
    except BaseException as exc:
        unverifiable = chunk.checksum is not None or isinstance(exc, UploadTooLarge)
        await _keep_what_arrived(claim, start, discard=unverifiable)
        raise
    if (
        hasher is not None
        and chunk.checksum is not None
        and hasher.digest() != chunk.checksum.digest
    ):
        claim.state = await claim.backend.truncate(upload.storage_key, claim.state, start)
        claim.offset = start
        raise ChecksumMismatch(f"the chunk does not match its {chunk.checksum.algorithm}")


async def _metered(
    body: AsyncIterable[bytes], room: int, hasher: Any, lease: Lease
) -> AsyncIterator[bytes]:
    """Pass ``body`` through, hashing it, never past ``room`` bytes, while the lease holds."""
    received = 0
    async for piece in body:
        received += len(piece)
        if received > room:
            raise UploadTooLarge("the chunk goes past the upload's length")
        if lease.lost:
            raise UploadLocked("the upload's lease was taken over")
        if hasher is not None:
            hasher.update(piece)
        yield piece


async def _keep_what_arrived(claim: _Claim, start: int, *, discard: bool) -> None:
    """After a failed append: count the bytes stored, or discard the chunk's bytes."""
    key = claim.upload.storage_key
    try:
        stored = await claim.backend.size(key, claim.state)
        if discard and stored > start:
            claim.state = await claim.backend.truncate(key, claim.state, start)
            stored = start
    except Exception as exc:
        # The store cannot say: the recorded offset stands, and a later append that starts
        # there is refused with the store's real size if they differ.
        log.warning(
            "upload %s: stored size unknown (%s)", claim.upload.public_id, type(exc).__name__
        )
        return
    if start <= stored <= claim.upload.length:
        claim.offset = stored


async def _require_empty(body: AsyncIterable[bytes]) -> None:
    async for piece in body:
        if piece:
            raise UploadTooLarge("the upload already has all its bytes")


async def _record_offset(platform: Platform, claim: _Claim) -> None:
    """Write the offset reached, keeping the lease (ingest reads the offset from the row)."""
    async with platform.force_session(claim.lease.force_id) as session:
        recorded = await session.scalar(
            update(Upload)
            .where(*_held(claim))
            .values(offset=claim.offset, storage_state=claim.state)
            .returning(Upload.id)
        )
        await session.commit()
    if recorded is None:
        raise UploadLocked("the upload's lease was taken over")


async def _release(platform: Platform, claim: _Claim) -> None:
    """Record the offset and state reached and give up the lease (if still ours)."""
    async with platform.force_session(claim.lease.force_id) as session:
        await session.execute(
            _RELEASE,
            {
                "upload": claim.upload.id,
                "force": claim.lease.force_id,
                "holder": claim.lease.holder,
                "reached": claim.offset,
                "state": claim.state,
                "expires": claim.expires_at,
            },
        )
        await session.commit()


# Built once, like the claim: every chunk ends here.
_RELEASE = (
    update(Upload)
    .where(
        Upload.id == bindparam("upload"),
        Upload.force_id == bindparam("force"),
        Upload.locked_by == bindparam("holder"),
    )
    .values(
        offset=bindparam("reached"),
        storage_state=bindparam("state"),
        expires_at=bindparam("expires"),
        locked_by=None,
        locked_until=None,
    )
    .execution_options(synchronize_session=False)
)


async def _discard(
    platform: Platform, claim: _Claim, *, actor: str, action: str, reason: str = ""
) -> None:
    """Abort the stored partial and mark the upload terminated, audited ``upload.<action>``.

    The file's name and the witness's caption go with its bytes: nothing was received to
    keep them for.
    """
    try:
        await claim.backend.abort(claim.upload.storage_key, claim.state)
    except UploadBusy:
        raise UploadLocked("another request is writing to this upload") from None
    async with force_transaction(platform, claim.lease.force_id) as tx:
        upload = await tx.session.get(Upload, claim.upload.id, with_for_update=True)
        assert upload is not None
        upload.terminated_at = utcnow()
        upload.filename, upload.caption = "", ""
        await audit.record(
            tx.session,
            claim.lease.force_id,
            actor=actor,
            action=f"upload.{action}",
            object_type="upload",
            object_id=upload.id,
            reason=reason,
            details={"upload": upload.public_id, "received": claim.offset, "length": upload.length},
        )


def _held(claim: _Claim) -> tuple[ColumnElement[bool], ...]:
    return (
        Upload.id == claim.upload.id,
        Upload.force_id == claim.lease.force_id,
        Upload.locked_by == claim.lease.holder,
    )


def _of_link(link: Link, public_id: str) -> tuple[ColumnElement[bool], ...]:
    return (Upload.public_id == public_id, Upload.request_id == link.request_id)


def _require_alive(upload: Upload, now: datetime) -> None:
    if upload.terminated_at is not None:
        raise UploadGone("the upload was terminated")
    if upload.completed_at is None and upload.expires_at <= now:
        raise UploadGone("the upload expired")


def _require_unfinished(upload: Upload, now: datetime) -> None:
    if upload.terminated_at is not None or upload.completed_at is not None:
        raise _NotDue("the upload is finished")


def _view(
    upload: Upload,
    offset: int,
    *,
    completed: bool | None = None,
    expires_at: datetime | None = None,
) -> UploadView:
    return UploadView(
        public_id=upload.public_id,
        length=upload.length,
        offset=offset,
        expires_at=upload.expires_at if expires_at is None else expires_at,
        metadata=UploadMetadata(
            filename=upload.filename,
            filetype=upload.declared_type,
            caption=upload.caption,
            sha256=upload.client_sha256,
        ),
        completed=upload.completed_at is not None if completed is None else completed,
    )
