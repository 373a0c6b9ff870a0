"""Writing a share's verifiable bundle: files, manifest, schedule, audit segment, signature.

The ZIP is written to a file object the caller gives (a temporary file, a socket), one chunk
at a time, so memory stays bounded whatever the size of the evidence. Each file's SHA-256 is
computed from the bytes as they are read from storage and must equal the hash recorded when
the file was stored: a mismatch stops the export (``BundleIntegrityError``).
"""

import hashlib
import mimetypes
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from exhibit.audit import log as audit
from exhibit.audit.log import chained_content
from exhibit.audit.models import AuditEvent
from exhibit.audit.segment import FullEvent, LinkOnly, encode_line
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.context import ForceInfo
from exhibit.sharing.bundle_format import (
    AUDIT_SEGMENT,
    FILES_DIR,
    FORMAT,
    MANIFEST,
    SCHEDULE,
    SIGNATURE,
    AuditAnchor,
    BundleFile,
    Manifest,
    ManifestExhibit,
    Provenance,
    ShareSummary,
    Signature,
    encode_manifest,
    key_fingerprint,
)
from exhibit.sharing.schedule import schedule_html
from exhibit.sharing.service import SharedCopy, open_share, shared_items
from exhibit.sharing.signing import public_raw, sign, signing_key
from exhibit.storage.backend import StorageBackend
from exhibit.uploads.models import Submission

_BATCH = 1000
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BundleIntegrityError(RuntimeError):
    """A stored file no longer matches the hash recorded for it; nothing may be exported.

    ``item_id`` names the item whose stored copy (its original, or ``derivative_id``) was
    read, ``expected`` and ``found`` the SHA-256 and size recorded and read.
    """

    def __init__(
        self,
        message: str,
        *,
        item_id: int,
        derivative_id: int | None,
        expected: tuple[str, int],
        found: tuple[str, int],
    ) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.derivative_id = derivative_id
        self.expected = expected
        self.found = found


@dataclass(frozen=True)
class _File:
    """One evidence file to copy into the bundle, and what its bytes must hash to."""

    path: str
    backend: StorageBackend
    storage_key: str
    sha256: str
    exhibit: ManifestExhibit
    item_id: int
    derivative_id: int | None


@dataclass(frozen=True)
class _Plan:
    """Everything read from the database before any byte is written."""

    force: ForceInfo
    share: ShareSummary
    files: list[_File]
    key: Ed25519PrivateKey
    exported_at_seq: int
    audit_filter: ColumnElement[bool]


async def export_bundle(
    platform: Platform,
    force_id: int,
    share_id: int,
    out: BinaryIO,
    *,
    actor: str,
    recipient: str | None = None,
) -> Manifest:
    """Write the bundle of a live share to ``out`` and return its manifest.

    The export is audited (``share.bundle_exported``) before the bundle is written, so the
    bundle's own audit segment ends with it; an export that then fails is audited too
    (``share.bundle_export_failed``, and ``item.integrity_failed`` when a stored file no
    longer matches its hash), so the log never shows a bundle that was not given out.
    ``recipient`` limits the export to a share made to that address (for the partner's own
    downloads).
    """
    plan = await _plan(platform, force_id, share_id, actor, recipient)
    try:
        return await _write_bundle(platform, force_id, plan, out, actor)
    except Exception as exc:
        await _record_failure(platform, force_id, plan, actor, exc)
        raise


async def _write_bundle(
    platform: Platform, force_id: int, plan: _Plan, out: BinaryIO, actor: str
) -> Manifest:
    exported_at = utcnow()
    with zipfile.ZipFile(out, "w", allowZip64=True) as bundle:
        exhibits = [await _copy_file(bundle, f) for f in plan.files]
        anchor = await _write_segment(platform, force_id, plan, bundle)
        draft = Manifest(
            format=FORMAT,
            force_slug=plan.force.slug,
            force_name=plan.force.name,
            share=plan.share,
            exported_at=exported_at,
            exported_by=actor,
            signing_key=key_fingerprint(public_raw(plan.key)),
            exhibits=exhibits,
            schedule=BundleFile(path=SCHEDULE, sha256="", size=0),
            audit=anchor,
        )
        schedule = schedule_html(draft).encode()
        manifest = msgspec.structs.replace(
            draft,
            schedule=BundleFile(
                path=SCHEDULE,
                sha256=hashlib.sha256(schedule).hexdigest(),
                size=len(schedule),
                media_type="text/html",
            ),
        )
        manifest_bytes = encode_manifest(manifest)
        signature = Signature(
            algorithm="Ed25519",
            key_fingerprint=manifest.signing_key,
            signature=sign(plan.key, manifest_bytes),
        )
        bundle.writestr(_info(SCHEDULE, deflate=True), schedule)
        bundle.writestr(_info(MANIFEST, deflate=True), manifest_bytes)
        bundle.writestr(_info(SIGNATURE, deflate=True), msgspec.json.encode(signature))
    return manifest


async def _record_failure(
    platform: Platform, force_id: int, plan: _Plan, actor: str, error: Exception
) -> None:
    """Audit that the export recorded as event ``plan.exported_at_seq`` gave nothing out."""
    async with force_transaction(platform, force_id) as tx:
        if isinstance(error, BundleIntegrityError):
            await audit.record(
                tx.session,
                force_id,
                actor=actor,
                action="item.integrity_failed",
                object_type="item",
                object_id=error.item_id,
                reason=str(error),
                details={
                    "share_id": plan.share.id,
                    "derivative_id": error.derivative_id,
                    "expected_sha256": error.expected[0],
                    "expected_size": error.expected[1],
                    "found_sha256": error.found[0],
                    "found_size": error.found[1],
                },
            )
        await audit.record(
            tx.session,
            force_id,
            actor=actor,
            action="share.bundle_export_failed",
            object_type="share",
            object_id=plan.share.id,
            reason=str(error)[:2000] or type(error).__name__,
            details={"export_event": plan.exported_at_seq, "error": type(error).__name__},
        )


async def _plan(
    platform: Platform, force_id: int, share_id: int, actor: str, recipient: str | None
) -> _Plan:
    async with force_transaction(platform, force_id) as tx:
        session = tx.session
        share = await open_share(session, share_id, recipient)
        copies = await shared_items(session, share)
        case = await session.get(Case, share.case_id)
        assert case is not None
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
        key = await signing_key(session, platform.secret_box, force_id, actor=actor)
        event = await audit.record(
            session,
            force_id,
            actor=actor,
            action="share.bundle_exported",
            object_type="share",
            object_id=share.id,
            details={"items": [c.item.id for c in copies]},
        )
        files = []
        for number, copy in enumerate(copies, start=1):
            witness = None
            if copy.item.submission_id is not None:
                submission = await session.get(Submission, copy.item.submission_id)
                witness = submission.reference if submission else None
            files.append(_file(platform, tx.force, enabled, number, copy, witness))
        summary = ShareSummary(
            id=share.id,
            case_reference=case.reference,
            recipient=share.recipient,
            allow_download=share.allow_download,
            created_at=share.created_at,
            expires_at=share.expires_at,
        )
        item_ids = [str(c.item.id) for c in copies]
        derivative_ids = [str(c.derivative.id) for c in copies if c.derivative]
        audit_filter = or_(
            and_(AuditEvent.object_type == "item", AuditEvent.object_id.in_(item_ids)),
            and_(AuditEvent.object_type == "derivative", AuditEvent.object_id.in_(derivative_ids)),
            and_(AuditEvent.object_type == "share", AuditEvent.object_id == str(share.id)),
        )
        return _Plan(tx.force, summary, files, key, event.seq, audit_filter)


def _file(
    platform: Platform,
    force: ForceInfo,
    enabled: dict[str, msgspec.Struct | None],
    number: int,
    copy: SharedCopy,
    witness: str | None,
) -> _File:
    item, derivative = copy.item, copy.derivative
    reference = item.exhibit_reference or str(item.id)
    if derivative is not None:
        backend_key, key, sha, size = (
            derivative.storage_backend,
            derivative.storage_key,
            derivative.output_sha256,
            derivative.size,
        )
        media_type = derivative.media_type
        provenance: Provenance | None = Provenance(
            kind=derivative.kind,
            processor=derivative.processor,
            tool=derivative.tool,
            tool_version=derivative.tool_version,
            parameters=derivative.parameters,
            input_sha256=derivative.input_sha256,
            output_sha256=derivative.output_sha256,
            reason=derivative.reason,
            created_at=derivative.created_at,
        )
    else:
        backend_key, key, sha, size = item.storage_backend, item.storage_key, item.sha256, item.size
        media_type = item.sniffed_type
        provenance = None
    extension = mimetypes.guess_extension(media_type) or ".bin"
    path = f"{FILES_DIR}{number:03d}-{_UNSAFE.sub('_', reference)}{extension}"
    exhibit = ManifestExhibit(
        item_number=number,
        exhibit_reference=reference,
        description=item.caption or item.original_filename,
        witness_reference=witness,
        received_at=item.received_at,
        original_filename=item.original_filename,
        original_sha256=item.sha256,
        original_size=item.size,
        copy=copy.kind,
        file=BundleFile(path=path, sha256=sha, size=size, media_type=media_type),
        provenance=provenance,
        original_reason=copy.original_reason,
        item_id=item.id,
    )
    provided = platform.plugins.storage_backends.get(backend_key)
    config = enabled.get(provided.plugin_id) if provided else None
    backend = platform.storage(force, backend_key, config)
    return _File(path, backend, key, sha, exhibit, item.id, derivative.id if derivative else None)


async def _copy_file(bundle: zipfile.ZipFile, file: _File) -> ManifestExhibit:
    digest, size = hashlib.sha256(), 0
    with bundle.open(_info(file.path, deflate=False), "w", force_zip64=True) as out:
        async for chunk in file.backend.read(file.storage_key):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if digest.hexdigest() != file.sha256 or size != file.exhibit.file.size:
        raise BundleIntegrityError(
            f"the stored copy of {file.exhibit.exhibit_reference} no longer matches its "
            "recorded SHA-256; the bundle was not exported",
            item_id=file.item_id,
            derivative_id=file.derivative_id,
            expected=(file.sha256, file.exhibit.file.size),
            found=(digest.hexdigest(), size),
        )
    return file.exhibit


async def _write_segment(
    platform: Platform, force_id: int, plan: _Plan, bundle: zipfile.ZipFile
) -> AuditAnchor:
    """Copy the chain from the first event about the share's items up to the export."""
    async with platform.force_session(force_id) as session:
        first = await session.scalar(select(func.min(AuditEvent.seq)).where(plan.audit_filter))
        first_seq = first if first is not None else plan.exported_at_seq
        full: list[int] = []
        start_prev, last_seq, last_hash = "", first_seq, ""
        next_seq = first_seq
        with bundle.open(_info(AUDIT_SEGMENT, deflate=True), "w") as out:
            while next_seq <= plan.exported_at_seq:
                rows = (
                    await session.execute(
                        select(AuditEvent, plan.audit_filter)
                        .where(AuditEvent.seq >= next_seq, AuditEvent.seq <= plan.exported_at_seq)
                        .order_by(AuditEvent.seq)
                        .limit(_BATCH)
                    )
                ).all()
                if not rows:
                    break
                for event, relevant in rows:
                    if not start_prev:
                        start_prev = event.prev_hash
                    line: FullEvent | LinkOnly
                    if relevant:
                        full.append(event.seq)
                        line = FullEvent(content=chained_content(event), hash=event.hash)
                    else:
                        line = LinkOnly(seq=event.seq, prev_hash=event.prev_hash, hash=event.hash)
                    out.write(encode_line(line))
                    last_seq, last_hash = event.seq, event.hash
                next_seq = last_seq + 1
    return AuditAnchor(
        path=AUDIT_SEGMENT,
        first_seq=first_seq,
        start_prev_hash=start_prev,
        last_seq=last_seq,
        last_hash=last_hash,
        full_events=full,
    )


def _info(name: str, *, deflate: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info
