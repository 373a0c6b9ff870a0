"""Running media processors: queued with the item, run by the job worker, recorded at once.

``enqueue_processing`` queues one ``media.process`` job per enabled processor that accepts
the item, in the transaction that creates the item, so processing is never lost and never
runs in the upload request. The job streams the original (checking its SHA-256 on the
way), lets the processor work in a temporary folder, stores what it made, and records
metadata, derivatives, findings and hashes, or the error that stopped it, in one force
transaction with their audit events.
"""

import asyncio
import contextlib
import hashlib
import logging
import mimetypes
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.evidence.models import Derivative, EvidenceItem, ReviewState
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import ForceTransaction, force_info, force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.queue import enqueue
from exhibit.media.processor import (
    DerivativeOutput,
    MediaProcessor,
    ProcessingFailed,
    ProcessingResult,
)
from exhibit.media.records import (
    Provenance,
    already_processed,
    record_derivative,
    record_failure,
    record_processed,
    store_metadata,
)
from exhibit.platform import Platform
from exhibit.plugins.context import ForceInfo, ItemInfo, ProviderContext
from exhibit.storage.backend import (
    ObjectExists,
    ObjectNotFound,
    StorageBackend,
    StoredObject,
    put_object,
)
from exhibit.uploads.submissions import item_info

log = logging.getLogger(__name__)

PROCESS_JOB = "media.process"
CHUNK = 1024 * 1024


class InputChanged(ProcessingFailed):
    """The stored original no longer has the SHA-256 recorded when it was received."""


async def enqueue_processing(
    session: AsyncSession,
    platform: Platform,
    force: ForceInfo,
    enabled: Mapping[str, Any],
    item: EvidenceItem,
) -> int:
    """Queue a job for each enabled processor that accepts the item; return how many.

    Quarantined items are not processed. Call it in the transaction that creates the item
    (or releases it from quarantine).
    """
    if item.review_state == ReviewState.QUARANTINED:
        return 0
    keys = [key for key, _ in _accepting(platform, force, enabled, item)]
    for key in keys:
        await _enqueue(session, item, key, again=False)
    return len(keys)


async def process_again(
    tx: ForceTransaction, platform: Platform, item: EvidenceItem, actor: str
) -> list[str]:
    """Queue again each enabled processor that takes the item and has not succeeded on it
    at its current version (it failed, say, before the force's media tools were mended),
    audited ``item.processing_requested``; return their keys (none: nothing to do, nothing
    recorded). A success is never repeated, and the original is only read, as ever.
    """
    if not processable(item):
        return []
    session = tx.session
    enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, tx.force.id)
    keys = []
    for key, processor in _accepting(platform, tx.force, enabled, item):
        if not await already_processed(session, item.id, key, processor.version, failures=False):
            await _enqueue(session, item, key, again=True)
            keys.append(key)
    if keys:
        await audit.record(
            session,
            tx.force.id,
            actor=actor,
            action="item.processing_requested",
            object_type="item",
            object_id=item.id,
            details={"processors": keys},
        )
    return keys


def _accepting(
    platform: Platform, force: ForceInfo, enabled: Mapping[str, Any], item: EvidenceItem
) -> list[tuple[str, MediaProcessor]]:
    """The force's enabled processors that take the item's type, by key."""
    found = []
    for key, provided in sorted(platform.plugins.media_processors.items()):
        if provided.plugin_id not in enabled:
            continue
        processor = _processor(platform, force, provided.plugin_id, provided.provider, enabled)
        if processor.accepts(item.sniffed_type):
            found.append((key, processor))
    return found


async def _enqueue(session: AsyncSession, item: EvidenceItem, key: str, *, again: bool) -> None:
    payload: dict[str, Any] = {"item_id": item.id, "processor": key}
    if again:
        payload["again"] = True
    await enqueue(session, PROCESS_JOB, payload, force_id=item.force_id, max_attempts=3)


async def process_media(job: JobContext) -> None:
    """Job handler for ``media.process``: run one processor on one item (safe to repeat)."""
    if job.force_id is None:
        raise ValueError("media.process jobs belong to a force")
    await run_processor(
        job.platform,
        job.force_id,
        int(job.payload["item_id"]),
        str(job.payload["processor"]),
        again=bool(job.payload.get("again", False)),
    )


async def run_processor(
    platform: Platform, force_id: int, item_id: int, key: str, *, again: bool = False
) -> None:
    """Run processor ``key`` on an item and record the outcome; skip if already recorded
    (``again``: skip only if it succeeded, a failure being tried again).

    A ``ProcessingFailed`` (corrupt or hostile file, a limit hit) is recorded as the outcome;
    any other error propagates so that the job is retried. An item disposed of (its bytes
    are gone) or quarantined since the job was queued is left alone: nothing is read.
    """
    async with platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        provided = platform.plugins.media_processors.get(key)
        if item is None or provided is None:
            log.warning("media job: item %s or processor %s is gone", item_id, key)
            return
        if not processable(item):
            log.info("media job: item %s is disposed of or quarantined; not processed", item_id)
            return
        force = await force_info(session, force_id)
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
        if provided.plugin_id not in enabled:
            return
        processor = _processor(platform, force, provided.plugin_id, provided.provider, enabled)
        if await already_processed(session, item_id, key, processor.version, failures=not again):
            return
        info = item_info(item)
        backend = await platform.force_storage(session, force, item.storage_backend)
        backend_key, storage_key, size = item.storage_backend, item.storage_key, item.size
    provenance = Provenance(
        processor=key, processor_version=processor.version, input_sha256=info.sha256
    )
    with tempfile.TemporaryDirectory(prefix="exhibit-media-") as workdir:
        try:
            result = await processor.process(
                info, verified_reader(backend, storage_key, size, info.sha256), workdir
            )
            outputs = check_outputs(result.derivatives, workdir)
        except ProcessingFailed as exc:
            await _record_failure(platform, force_id, item_id, provenance, str(exc), again)
            return
        stored = [await store_file(backend, item_id, key, output) for output in outputs]
        await _record_success(
            platform, force_id, item_id, provenance, result, stored, backend, backend_key
        )


def processable(item: EvidenceItem) -> bool:
    """Whether a plugin may read the item's original: not disposed of, not quarantined."""
    return item.disposed_at is None and item.review_state != ReviewState.QUARANTINED


async def original_of(
    platform: Platform, force_id: int, item_id: int
) -> tuple[ItemInfo, Callable[[], AsyncIterator[bytes]]]:
    """An item's snapshot and a reader of its original that checks the recorded SHA-256.

    Raises ``LookupError`` if the force has no such item, or if it was disposed of or is
    quarantined (see ``processable``).
    """
    async with platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        if item is None:
            raise LookupError(f"no item {item_id}")
        if not processable(item):
            raise LookupError(f"item {item_id} is disposed of or quarantined")
        force = await force_info(session, force_id)
        backend = await platform.force_storage(session, force, item.storage_backend)
        return item_info(item), verified_reader(backend, item.storage_key, item.size, item.sha256)


async def add_derivatives(
    platform: Platform,
    force_id: int,
    item_id: int,
    outputs: Sequence[DerivativeOutput],
    provenance: Provenance,
    workdir: str,
) -> list[int]:
    """Store files a plugin made from an item and record them, audited, in one transaction.

    For work outside ``media.process`` (e.g. a redaction an officer asked for). A file
    already recorded for the item (same kind and hash) is not recorded twice, so a job
    that runs again changes nothing. Returns the derivatives' ids.
    """
    checked = check_outputs(outputs, workdir)
    async with platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        if item is None:
            raise LookupError(f"no item {item_id}")
        backend_key = item.storage_backend
        force = await force_info(session, force_id)
        backend = await platform.force_storage(session, force, backend_key)
    stored = [await store_file(backend, item_id, provenance.processor, o) for o in checked]
    ids = []
    async with force_transaction(platform, force_id) as tx:
        row = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert row is not None
        if row.disposed_at is not None:
            await _discard(backend, stored)
            raise LookupError(f"item {item_id} was disposed of; no copy of it is kept")
        for output, obj in zip(checked, stored, strict=True):
            existing = await tx.session.scalar(
                select(Derivative.id).where(
                    Derivative.item_id == item_id,
                    Derivative.kind == output.kind,
                    Derivative.output_sha256 == obj.sha256,
                )
            )
            if existing is None:
                derivative = await record_derivative(
                    tx.session, row, output, obj, backend=backend_key, provenance=provenance
                )
                existing = derivative.id
            ids.append(existing)
    return ids


async def record_error(
    platform: Platform, force_id: int, item_id: int, provenance: Provenance, error: str
) -> None:
    """Record, audited, that a plugin's work on an item failed and why."""
    async with force_transaction(platform, force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        if item is None:
            raise LookupError(f"no item {item_id}")
        await record_failure(tx.session, item, provenance=provenance, error=error)


def verified_reader(
    backend: StorageBackend, key: str, size: int, sha256: str
) -> Callable[[], AsyncIterator[bytes]]:
    """A fresh stream of the original each call, raising ``InputChanged`` if its hash differs."""

    async def read() -> AsyncIterator[bytes]:
        digest = hashlib.sha256()
        async for chunk in backend.read(key, 0, size):
            digest.update(chunk)
            yield chunk
        if digest.hexdigest() != sha256:
            raise InputChanged("the stored original's SHA-256 differs from the recorded one")

    return read


def check_outputs(outputs: Sequence[DerivativeOutput], workdir: str) -> list[DerivativeOutput]:
    """The processor's outputs, refusing any file outside ``workdir`` or not a regular file."""
    root = Path(workdir).resolve()
    for output in outputs:
        path = Path(output.data_path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ProcessingFailed(f"processor output {output.kind!r} is not a file in its workdir")
    return list(outputs)


async def store_file(
    backend: StorageBackend, item_id: int, processor: str, output: DerivativeOutput
) -> StoredObject:
    """Store a derivative file under a key named by its content; storing it again is a no-op."""
    path = Path(output.data_path)
    digest = await asyncio.to_thread(_sha256_file, path)
    suffix = mimetypes.guess_extension(output.media_type) or ""
    key = f"derivatives/{item_id}/{processor}-{output.kind}-{digest[:32]}{suffix}"
    try:
        stored = await put_object(backend, key, _file_chunks(path))
    except ObjectExists:
        stored = await backend.stat(key)
    if stored.sha256 != digest:
        raise RuntimeError(f"stored derivative {key} does not have the hash of the file written")
    return stored


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk


async def _record_success(
    platform: Platform,
    force_id: int,
    item_id: int,
    provenance: Provenance,
    result: ProcessingResult,
    stored: Sequence[StoredObject],
    backend: StorageBackend,
    backend_key: str,
) -> None:
    async with force_transaction(platform, force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        if item.disposed_at is not None:
            await _discard(backend, stored)  # disposed of while we worked: keep no copy
            return
        if await already_processed(
            tx.session, item_id, provenance.processor, provenance.processor_version, failures=False
        ):
            return  # another worker recorded it first (a success follows a failure)
        if result.metadata:
            await store_metadata(
                tx.session,
                item,
                {**result.metadata, "findings": list(result.findings)},
                processor=provenance.processor,
            )
        for output, obj in zip(result.derivatives, stored, strict=True):
            await record_derivative(
                tx.session, item, output, obj, backend=backend_key, provenance=provenance
            )
        await record_processed(
            tx.session, item, provenance=provenance, findings=result.findings, hashes=result.hashes
        )


async def _record_failure(
    platform: Platform,
    force_id: int,
    item_id: int,
    provenance: Provenance,
    error: str,
    again: bool,
) -> None:
    log.info("media processing of item %s by %s failed", item_id, provenance.processor)
    async with force_transaction(platform, force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        version = provenance.processor_version
        # Once only, unless asked to try again after a failure (never after a success).
        if not await already_processed(
            tx.session, item_id, provenance.processor, version, failures=not again
        ):
            await record_failure(tx.session, item, provenance=provenance, error=error)


def _processor(
    platform: Platform, force: ForceInfo, plugin_id: str, cls: type, enabled: Mapping[str, Any]
) -> MediaProcessor:
    context = ProviderContext(
        settings=platform.settings, force=force, plugin_id=plugin_id, config=enabled[plugin_id]
    )
    processor: MediaProcessor = cls(context)
    return processor


async def _discard(backend: StorageBackend, stored: Sequence[StoredObject]) -> None:
    """Delete files made from an item that was disposed of while they were being made."""
    for obj in stored:
        with contextlib.suppress(ObjectNotFound):
            await backend.delete(obj.key)
