"""The retention sweep: declined material is disposed of once the force's keeping period ends.

Declining an item keeps it until ``retain_until`` (the force's ``declined_retention_days``
from then). Once that date has passed this periodic sweep destroys the item's original and
every derivative exactly as a disposal does and leaves the tombstone, audited
``item.disposed`` by ``system`` with the date and the decline as the reason. An item is left
for a later round while a disposal request for it awaits a person's decision, while it is
shared with a partner (a share not revoked: someone must confirm knowing it), and while its
store protects it (retention, legal hold) or cannot be reached. Accepted exhibits are never
swept: their disposal is always a person's decision.
"""

import logging

from sqlalchemy import select

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence.actions import disposal_awaited
from exhibit.evidence.disposal import destroy_stored_objects, make_tombstone
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.platform import Platform
from exhibit.sharing.service import unrevoked_shares

log = logging.getLogger(__name__)

RETENTION_JOB = "core.dispose_of_expired_declined"


async def dispose_of_expired_declined(platform: Platform) -> int:
    """Dispose of every declined item past its keeping date; return how many went."""
    async with platform.system_session() as session:
        due = (
            await session.execute(
                select(EvidenceItem.id, EvidenceItem.force_id)
                .where(
                    EvidenceItem.review_state == ReviewState.DECLINED,
                    EvidenceItem.retain_until <= utcnow(),
                )
                .order_by(EvidenceItem.id)
            )
        ).all()
    disposed = 0
    for item_id, force_id in due:
        try:
            disposed += await _dispose_of(platform, force_id, item_id)
        except Exception as exc:
            # A store that refuses or fails (DisposalRefused, StorageError...) leaves nothing
            # recorded as disposed of, and must not stop the rest: the next round tries again.
            log.warning("declined item %s not disposed of: %s", item_id, type(exc).__name__)
    if disposed:
        log.info("disposed of %s declined items past their keeping date", disposed)
    return disposed


async def dispose_of_expired_declined_job(job: JobContext) -> None:
    """Job handler for ``RETENTION_JOB`` (safe to run twice at once)."""
    await dispose_of_expired_declined(job.platform)


async def _dispose_of(platform: Platform, force_id: int, item_id: int) -> bool:
    async with force_transaction(platform, force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        if (
            item is None
            or item.review_state != ReviewState.DECLINED
            or item.retain_until is None
            or item.retain_until > utcnow()
            or await disposal_awaited(tx.session, item_id)
            or await unrevoked_shares(tx.session, item_id)
        ):
            return False
        kept_until = item.retain_until
        deleted = await destroy_stored_objects(platform, tx, item)
        await make_tombstone(tx.session, item)
        await audit.record(
            tx.session,
            force_id,
            actor="system",
            action="item.disposed",
            object_type="item",
            object_id=item.id,
            reason=(
                f"declined material kept until {kept_until:%Y-%m-%d}, the end of the "
                "force's retention period for declined material"
            ),
            details={
                "sha256": item.sha256,
                "objects_deleted": deleted,
                "retained_until": kept_until.isoformat(),
                "declined_by": f"user:{item.reviewed_by}" if item.reviewed_by else None,
                "decline_reason": item.decline_reason,
            },
        )
    return True
