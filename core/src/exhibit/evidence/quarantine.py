"""Releasing a quarantined item into normal review, once someone has checked it.

Ingest quarantines a file whose content is not an accepted type, whose hash differs from the
one the witness's device computed, or that a force's validator refused. A supervisor or
evidence manager who has examined it (a document of a kind we do not take but which matters,
a hash mismatch the witness's phone explains) releases it with a reason, audited. What was
found stays on the item (``quarantine_reason``) and in the audit trail; the item becomes
``pending`` and is processed like any other arrival (viewing copies where a processor takes
its type). Its original is still only shown inline if its type is a safe one.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.audit import log as audit
from exhibit.audit.models import AuditEvent
from exhibit.evidence.actions import ItemAction
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.evidence.review import MAX_REASON, ReviewRefused, actor_of, check_allowed
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import ForceTransaction
from exhibit.media.pipeline import enqueue_processing
from exhibit.platform import Platform

RELEASED = "item.quarantine_released"
"""The audit action of a release; its reason is the releaser's."""


@dataclass(frozen=True)
class Release:
    """Who released an item from quarantine, when and why."""

    by: str
    at: datetime
    reason: str


async def release(
    platform: Platform, tx: ForceTransaction, item: EvidenceItem, user: User, reason: str
) -> None:
    """Release the quarantined ``item`` into review, saying why; ``ReviewRefused`` if the
    reason is missing or too long, or the item's state does not allow it."""
    reason = reason.strip()
    if not reason:
        raise ReviewRefused("say why the item may be released from quarantine")
    if len(reason) > MAX_REASON:
        raise ReviewRefused(f"a reason is at most {MAX_REASON} characters")
    await check_allowed(tx, item, ItemAction.RELEASE)
    item.review_state = ReviewState.PENDING
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action=RELEASED,
        object_type="item",
        object_id=item.id,
        reason=reason,
        details={
            "quarantine_reason": item.quarantine_reason,
            "sniffed_type": item.sniffed_type,
            "sha256": item.sha256,
        },
    )
    enabled = await enabled_plugins(tx.session, platform.plugins, platform.secret_box, tx.force.id)
    await enqueue_processing(tx.session, platform, tx.force, enabled, item)


async def latest_release(session: AsyncSession, item: EvidenceItem) -> Release | None:
    """The item's latest release from quarantine, read from the audit log (None if never)."""
    event = await session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == RELEASED,
            AuditEvent.object_type == "item",
            AuditEvent.object_id == str(item.id),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    if event is None:
        return None
    by = event.actor
    if by.startswith("user:") and by[5:].isdigit():
        user = await session.get(User, int(by[5:]))
        by = user.name if user is not None else by
    return Release(by, event.occurred_at, event.reason)
