"""Recording what processing produced, each with its audit event in the caller's transaction.

These are the core calls a media-processor plugin's work ends in: metadata stored on the
item, a derivative with its provenance, the findings and hashes of a run, or the error that
stopped it. None commits; the caller's force transaction does, together with the events.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.media.models import MediaHash, MediaProcessing
from exhibit.media.processor import DerivativeOutput, PerceptualHash
from exhibit.storage.backend import StoredObject

SUCCEEDED = "succeeded"
FAILED = "failed"
MAX_ERROR = 2000


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Who made a derivative from what: the processor, its version and the input's hash."""

    processor: str
    processor_version: str
    input_sha256: str
    actor: str = "system"


async def store_metadata(
    session: AsyncSession,
    item: EvidenceItem,
    metadata: Mapping[str, Any],
    *,
    processor: str,
    actor: str = "system",
) -> None:
    """Merge ``metadata`` into the item's ``capture_metadata`` and audit which keys were set."""
    item.capture_metadata = {**(item.capture_metadata or {}), **dict(metadata)}
    await audit.record(
        session,
        item.force_id,
        actor=actor,
        action="evidence.metadata_extracted",
        object_type="item",
        object_id=item.id,
        details={"processor": processor, "keys": sorted(metadata)},
    )


async def record_derivative(
    session: AsyncSession,
    item: EvidenceItem,
    output: DerivativeOutput,
    stored: StoredObject,
    *,
    backend: str,
    provenance: Provenance,
) -> Derivative:
    """Add the Derivative row for a stored file, with full provenance, and audit it."""
    derivative = Derivative(
        force_id=item.force_id,
        item_id=item.id,
        kind=output.kind,
        storage_backend=backend,
        storage_key=stored.key,
        media_type=output.media_type,
        size=stored.size,
        processor=f"{provenance.processor} {provenance.processor_version}",
        tool=output.tool,
        tool_version=output.tool_version[:100],
        parameters=dict(output.parameters),
        input_sha256=provenance.input_sha256,
        output_sha256=stored.sha256,
        reason=output.reason[:500],
    )
    session.add(derivative)
    await session.flush()
    await audit.record(
        session,
        item.force_id,
        actor=provenance.actor,
        action="derivative.created",
        object_type="item",
        object_id=item.id,
        reason=output.reason,
        details={
            "derivative": derivative.id,
            "kind": output.kind,
            "processor": derivative.processor,
            "tool": output.tool,
            "tool_version": output.tool_version,
            "parameters": dict(output.parameters),
            "input_sha256": provenance.input_sha256,
            "output_sha256": stored.sha256,
        },
    )
    return derivative


async def record_processed(
    session: AsyncSession,
    item: EvidenceItem,
    *,
    provenance: Provenance,
    findings: Iterable[str],
    hashes: Iterable[PerceptualHash],
) -> MediaProcessing:
    """Record a successful run: its findings (audited, so they show in continuity) and hashes."""
    found = list(findings)
    run = MediaProcessing(
        force_id=item.force_id,
        item_id=item.id,
        processor=provenance.processor,
        processor_version=provenance.processor_version,
        status=SUCCEEDED,
        findings=found,
        input_sha256=provenance.input_sha256,
    )
    session.add(run)
    for h in hashes:
        session.add(
            MediaHash(
                force_id=item.force_id,
                item_id=item.id,
                algorithm=h.algorithm,
                value=h.value,
                position=h.position,
            )
        )
    await session.flush()
    await audit.record(
        session,
        item.force_id,
        actor=provenance.actor,
        action="media.processed",
        object_type="item",
        object_id=item.id,
        details={
            "processor": f"{provenance.processor} {provenance.processor_version}",
            "findings": found,
        },
    )
    return run


async def record_failure(
    session: AsyncSession, item: EvidenceItem, *, provenance: Provenance, error: str
) -> MediaProcessing:
    """Record that processing the item failed and why; the original stays as it was."""
    run = MediaProcessing(
        force_id=item.force_id,
        item_id=item.id,
        processor=provenance.processor,
        processor_version=provenance.processor_version,
        status=FAILED,
        error=error[:MAX_ERROR],
        input_sha256=provenance.input_sha256,
    )
    session.add(run)
    await session.flush()
    await audit.record(
        session,
        item.force_id,
        actor=provenance.actor,
        action="media.processing_failed",
        object_type="item",
        object_id=item.id,
        reason=error[:500],
        details={"processor": f"{provenance.processor} {provenance.processor_version}"},
    )
    return run


async def already_processed(
    session: AsyncSession, item_id: int, processor: str, version: str, *, failures: bool = True
) -> bool:
    """True if the processor at this version has a recorded outcome for the item (only a
    success counts unless ``failures``)."""
    query = select(MediaProcessing.id).where(
        MediaProcessing.item_id == item_id,
        MediaProcessing.processor == processor,
        MediaProcessing.processor_version == version,
    )
    if not failures:
        query = query.where(MediaProcessing.status == SUCCEEDED)
    found = await session.scalar(query.limit(1))
    return found is not None
