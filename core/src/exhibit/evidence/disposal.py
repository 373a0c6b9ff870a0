"""Disposal: an item's stored bytes are destroyed, its record stays as a tombstone.

Disposal needs a reason, and an item someone has decided on (accepted or declined) or a
quarantined one: ``exhibit.evidence.actions`` holds the rule. Where the force says so
(``Force.disposal_needs_approval``) it is a request that a second person (a supervisor or
evidence manager, never the requester) approves or refuses, giving a reason of their own;
otherwise the requester's own request is carried out at once. Carrying it out deletes the
original and every derivative from the store; a store that refuses (``RetentionActive``:
write-once retention or legal hold) stops the disposal with nothing changed. The item keeps
its record and hash, with ``review_state`` ``disposed``, and the audit trail stays; the
capture metadata and perceptual hashes read out of the file go with the file.
Declined material past the force's keeping period is disposed of by ``evidence.retention``.

An item shared with a partner (a share not revoked) may still be disposed of, but only once
whoever carries it out confirms knowing it: the partner's copy was made from the original
that goes. The shares are listed in the disposal's audit event.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence.actions import ItemAction, refusal
from exhibit.evidence.models import (
    Derivative,
    DisposalRequest,
    DisposalState,
    EvidenceItem,
    ReviewState,
)
from exhibit.evidence.review import MAX_REASON, ReviewRefused, actor_of
from exhibit.forces.models import Force
from exhibit.forces.transaction import ForceTransaction
from exhibit.media.models import MediaHash
from exhibit.platform import Platform
from exhibit.sharing.models import Share
from exhibit.sharing.service import unrevoked_shares
from exhibit.storage.backend import ObjectNotFound, RetentionActive, StorageError
from exhibit.storage.capabilities import RetentionQuery


class DisposalRefused(ReviewRefused):
    """The disposal cannot go ahead (no reason, own request, store retention, wrong state)."""


class SharesNotAcknowledged(DisposalRefused):
    """The item has shares that are not revoked, and nobody confirmed knowing it."""


async def pending_request(tx: ForceTransaction, item_id: int) -> DisposalRequest | None:
    """The item's disposal request awaiting a decision, if any."""
    return await tx.session.scalar(
        select(DisposalRequest).where(
            DisposalRequest.item_id == item_id, DisposalRequest.state == DisposalState.PENDING
        )
    )


def _reason(text: str, missing: str) -> str:
    reason = text.strip()
    if not reason:
        raise DisposalRefused(missing)
    if len(reason) > MAX_REASON:
        raise DisposalRefused(f"a reason is at most {MAX_REASON} characters")
    return reason


def approval_reason(text: str) -> str:
    """The approver's reason, trimmed; ``DisposalRefused`` if it is blank or too long."""
    return _reason(text, "give a reason to approve the disposal")


def check_approvable(disposal: DisposalRequest, item: EvidenceItem, user: User) -> None:
    """``DisposalRefused`` unless ``user`` may approve ``disposal`` of ``item`` now."""
    if disposal.state != DisposalState.PENDING:
        raise DisposalRefused(f"this disposal request is already {disposal.state.value}")
    if disposal.requested_by == user.id:
        raise DisposalRefused("another supervisor or evidence manager must approve your request")
    problem = refusal(item, ItemAction.APPROVE_DISPOSAL, disposal_pending=True)
    if problem is not None:
        raise DisposalRefused(problem)


def check_shares_acknowledged(
    item: EvidenceItem, shares: Sequence[Share], *, acknowledged: bool
) -> None:
    """``SharesNotAcknowledged`` if ``item`` has unrevoked ``shares`` and nobody confirmed
    knowing that it has been shared."""
    if not shares or acknowledged:
        return
    listed = "; ".join(
        f"share {s.id} with {s.recipient} through {s.target} on {s.created_at:%Y-%m-%d}"
        for s in shares
    )
    raise SharesNotAcknowledged(
        f"{item.exhibit_reference or item.original_filename} has been shared with a partner "
        f"({listed}): confirm that you know this before its original is destroyed"
    )


async def request_disposal(
    platform: Platform,
    tx: ForceTransaction,
    item: EvidenceItem,
    user: User,
    reason: str,
    *,
    shared_acknowledged: bool = False,
) -> DisposalRequest:
    """Ask for ``item`` to be disposed of; carried out at once where no approval is needed.

    ``shared_acknowledged`` says the requester knows the item has been shared: carrying it
    out at once needs it when the item has unrevoked shares.
    """
    reason = _reason(reason, "give a reason for disposal")
    pending = await pending_request(tx, item.id) is not None
    problem = refusal(item, ItemAction.REQUEST_DISPOSAL, disposal_pending=pending)
    if problem is not None:
        raise DisposalRefused(problem)
    force = await tx.session.get(Force, tx.force.id)
    assert force is not None
    disposal = DisposalRequest(item_id=item.id, requested_by=user.id, reason=reason)
    tx.session.add(disposal)
    await tx.session.flush()
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action="item.disposal_requested",
        object_type="item",
        object_id=item.id,
        reason=reason,
        details={"disposal": disposal.id, "needs_approval": force.disposal_needs_approval},
    )
    if not force.disposal_needs_approval:
        await _carry_out(
            platform, tx, item, disposal, user, reason, shared_acknowledged=shared_acknowledged
        )
    return disposal


async def approve_disposal(
    platform: Platform,
    tx: ForceTransaction,
    disposal: DisposalRequest,
    user: User,
    reason: str,
    *,
    shared_acknowledged: bool = False,
) -> None:
    """A second person approves, saying why: the bytes are deleted and the item becomes a
    tombstone. The approver's reason is the audit event's reason; the request's is kept in
    its details. ``shared_acknowledged`` says the approver knows the item has been shared,
    which an item with unrevoked shares needs."""
    reason = approval_reason(reason)
    item = await tx.session.get(EvidenceItem, disposal.item_id, with_for_update=True)
    assert item is not None
    check_approvable(disposal, item, user)
    disposal.decision_note = reason
    await _carry_out(
        platform, tx, item, disposal, user, reason, shared_acknowledged=shared_acknowledged
    )


async def refuse_disposal(
    tx: ForceTransaction, disposal: DisposalRequest, user: User, note: str
) -> None:
    """A second person refuses the request, saying why; the item is unchanged."""
    note = note.strip()
    if not note:
        raise DisposalRefused("give a reason to refuse")
    if disposal.state != DisposalState.PENDING:
        raise DisposalRefused(f"this disposal request is already {disposal.state.value}")
    if disposal.requested_by == user.id:
        raise DisposalRefused("you cannot decide on your own disposal request")
    disposal.state = DisposalState.REFUSED
    disposal.decided_by, disposal.decided_at = user.id, utcnow()
    disposal.decision_note = note[:MAX_REASON]
    await audit.record(
        tx.session,
        disposal.force_id,
        actor=actor_of(user),
        action="item.disposal_refused",
        object_type="item",
        object_id=disposal.item_id,
        reason=disposal.decision_note,
        details={"disposal": disposal.id},
    )


async def _carry_out(
    platform: Platform,
    tx: ForceTransaction,
    item: EvidenceItem,
    disposal: DisposalRequest,
    user: User,
    reason: str,
    *,
    shared_acknowledged: bool,
) -> None:
    shares = await unrevoked_shares(tx.session, item.id)
    check_shares_acknowledged(item, shares, acknowledged=shared_acknowledged)
    deleted = await destroy_stored_objects(platform, tx, item)
    now = await make_tombstone(tx.session, item)
    disposal.state = DisposalState.DONE
    disposal.decided_by, disposal.decided_at = user.id, now
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action="item.disposed",
        object_type="item",
        object_id=item.id,
        reason=reason,
        details={
            "disposal": disposal.id,
            "requested_by": f"user:{disposal.requested_by}",
            "request_reason": disposal.reason,
            "sha256": item.sha256,
            "objects_deleted": deleted,
            "unrevoked_shares": [
                {"share_id": s.id, "target": s.target, "shared_at": s.created_at.isoformat()}
                for s in shares
            ],
        },
    )


async def destroy_stored_objects(
    platform: Platform, tx: ForceTransaction, item: EvidenceItem
) -> list[str]:
    """Delete every derivative of ``item``, then its original, from their stores; return
    the keys deleted. An object already gone counts as deleted, so a disposal that stopped
    part way can simply be carried out again.

    Raises ``DisposalRefused`` when a store protects one of them (retention, legal hold).
    """
    derivatives = list(
        await tx.session.scalars(select(Derivative).where(Derivative.item_id == item.id))
    )
    # Deleting cannot be rolled back with the transaction, so a store that can say what it
    # protects is asked first, and the original goes last: when a store still refuses, the
    # evidence itself is kept and only copies that can be made again are gone.
    objects = [(d.storage_backend, d.storage_key) for d in derivatives]
    objects.append((item.storage_backend, item.storage_key))
    for backend_key, key in objects:
        await _check_not_retained(platform, tx, backend_key, key)
    return [await _delete(platform, tx, backend_key, key) for backend_key, key in objects]


async def make_tombstone(session: AsyncSession, item: EvidenceItem) -> datetime:
    """Mark ``item`` disposed of now and return the time; its hash and record stay.

    What was read out of the file goes with it: the capture metadata (where a photo was
    taken, on which device) and the perceptual hashes of its pictures, which would otherwise
    still match the witness's other photos as near-duplicates of a file that is gone.
    """
    await session.execute(delete(MediaHash).where(MediaHash.item_id == item.id))
    now = utcnow()
    item.review_state = ReviewState.DISPOSED
    item.disposed_at = now
    item.retain_until = None
    item.capture_metadata = {}
    return now


async def _check_not_retained(
    platform: Platform, tx: ForceTransaction, backend_key: str, key: str
) -> None:
    backend = await platform.force_storage(tx.session, tx.force, backend_key)
    if not isinstance(backend, RetentionQuery):
        return
    try:
        retention = await backend.retention(key)
    except ObjectNotFound:
        return
    except StorageError as exc:
        raise DisposalRefused(
            f"the store could not say whether {key} is protected ({exc}). "
            "Nothing was disposed of: try again later."
        ) from None
    if retention.legal_hold or (retention.until is not None and retention.until > utcnow()):
        raise DisposalRefused(
            f"the store protects {key} from deletion (retention or legal hold). "
            "Nothing was disposed of."
        )


async def _delete(platform: Platform, tx: ForceTransaction, backend_key: str, key: str) -> str:
    backend = await platform.force_storage(tx.session, tx.force, backend_key)
    try:
        await backend.delete(key)
    except ObjectNotFound:
        pass  # already gone (e.g. a derivative never completed): nothing left to destroy
    except RetentionActive as exc:
        raise DisposalRefused(
            f"the store refused to delete {key}: it is under retention or legal hold ({exc}). "
            "The original was kept; copies made from it may already be gone."
        ) from None
    except StorageError as exc:
        # The transaction rolls back, so no record claims a disposal while bytes remain;
        # what was deleted stays deleted, and carrying the disposal out again finishes it.
        raise DisposalRefused(
            f"the store could not delete {key} ({exc}). Nothing is recorded as disposed of "
            "and the original is kept unless it was already deleted: try again later."
        ) from None
    return key
