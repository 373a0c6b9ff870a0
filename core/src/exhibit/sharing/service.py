"""Making, opening and revoking shares: the rules every route (API, web, bundle) goes through.

Only accepted exhibits with a reference can be shared, never one marked sensitive or
do-not-disclose, nor one whose disposal awaits a decision (the approver decides on the item
as it was when disposal was asked for, and it may be about to be destroyed). Each item is
shared as its disclosure copy (a redacted derivative first, then a disclosure derivative)
unless the officer explicitly chooses the original and says why. Every share, view,
download and revocation is written to the audit chain in the same transaction; a revoked or
expired share is refused at once by ``open_share``.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence.actions import disposals_awaited
from exhibit.evidence.models import Derivative, EvidenceItem, ReviewState
from exhibit.forces.transaction import ForceTransaction
from exhibit.jobs.queue import enqueue
from exhibit.plugins.context import ShareInfo
from exhibit.sharing.models import DeliveryState, Share, ShareDelivery, ShareItem
from exhibit.sharing.target import delivery_job_kind

SHARED_COPY_KINDS = ("redacted", "disclosure")
"""Derivative kinds that may stand for an item in a share, in order of preference."""
DO_NOT_DISCLOSE_TAG = "do-not-disclose"
MAX_ITEMS = 500
MAX_EXPIRY = timedelta(days=366)
MIN_REASON_LENGTH = 10
MAX_ORIGINAL_REASON = 500
"""The longest reason for sharing an unredacted original (``ShareItem.original_reason``)."""
MAX_REVOKE_REASON = 2000
"""The longest reason for revoking a share (an audit event's reason)."""
DELIVERY_ATTEMPTS = 5

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class ShareRefused(ValueError):
    """A share cannot be made (or changed) as asked; the message says why."""


class ShareUnavailable(LookupError):
    """No such share for this force, or it has been revoked or has expired."""


class NewShare(msgspec.Struct, frozen=True, kw_only=True):
    """What an officer asks to share.

    ``originals`` maps an item id to the reason for sharing that item's unredacted original
    instead of its disclosure copy.
    """

    case_id: int
    item_ids: tuple[int, ...]
    recipient: str
    expires_at: datetime
    target: str
    allow_download: bool = False
    originals: Mapping[int, str] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class SharedCopy:
    """Which copy of an item a share gives: a derivative, or the original (with a reason)."""

    item: EvidenceItem
    derivative: Derivative | None
    original_reason: str = ""

    @property
    def kind(self) -> str:
        """``"redacted"``, ``"disclosure"`` or ``"original"``."""
        return self.derivative.kind if self.derivative is not None else "original"


def check_shareable(item: EvidenceItem, *, disposal_pending: bool) -> None:
    """Refuse an item that may not leave the force: not accepted, do-not-disclose, or (for a
    new share) one whose disposal awaits a decision (``disposal_pending``)."""
    name = item.exhibit_reference or f"item {item.id}"
    if item.sensitive or DO_NOT_DISCLOSE_TAG in (item.tags or []):
        raise ShareRefused(f"{name} is marked sensitive / do-not-disclose and cannot be shared")
    if item.review_state is not ReviewState.ACCEPTED or not item.exhibit_reference:
        raise ShareRefused(f"{name} is not an accepted exhibit with a reference")
    if disposal_pending:
        raise ShareRefused(
            f"{name} cannot be shared while a disposal request for it awaits a decision: "
            "decide that first"
        )


def disclosure_copy(derivatives: Sequence[Derivative]) -> Derivative | None:
    """The derivative that stands for an item: the newest redacted copy, else disclosure copy."""
    for kind in SHARED_COPY_KINDS:
        found = [d for d in derivatives if d.kind == kind]
        if found:
            return max(found, key=lambda d: (d.created_at, d.id))
    return None


async def choose_copies(
    session: AsyncSession, case_id: int, item_ids: Sequence[int], originals: Mapping[int, str]
) -> list[SharedCopy]:
    """The copy each item is shared as, in the order given; refuses anything not shareable."""
    if not item_ids:
        raise ShareRefused("choose at least one exhibit to share")
    if len(set(item_ids)) != len(item_ids) or len(item_ids) > MAX_ITEMS:
        raise ShareRefused(f"choose up to {MAX_ITEMS} different exhibits")
    if unknown := set(originals) - set(item_ids):
        raise ShareRefused(f"an original is chosen for items not in the share: {sorted(unknown)}")
    # Locked as a disposal request locks its item, so that a request made meanwhile is seen.
    items = {
        item.id: item
        for item in await session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.id.in_(item_ids), EvidenceItem.case_id == case_id)
            .order_by(EvidenceItem.id)
            .with_for_update()
        )
    }
    awaiting_disposal = await disposals_awaited(session, item_ids)
    derivatives: dict[int, list[Derivative]] = {}
    for derivative in await session.scalars(
        select(Derivative).where(
            Derivative.item_id.in_(item_ids), Derivative.kind.in_(SHARED_COPY_KINDS)
        )
    ):
        derivatives.setdefault(derivative.item_id, []).append(derivative)
    copies = []
    for item_id in item_ids:
        item = items.get(item_id)
        if item is None:
            raise ShareRefused(f"item {item_id} is not on this case")
        check_shareable(item, disposal_pending=item_id in awaiting_disposal)
        if item_id in originals:
            reason = originals[item_id].strip()
            if len(reason) < MIN_REASON_LENGTH:
                raise ShareRefused(
                    f"sharing the unredacted original of {item.exhibit_reference} needs a reason "
                    f"(at least {MIN_REASON_LENGTH} characters)"
                )
            if len(reason) > MAX_ORIGINAL_REASON:
                raise ShareRefused(
                    f"the reason for sharing the original of {item.exhibit_reference} is at "
                    f"most {MAX_ORIGINAL_REASON} characters"
                )
            copies.append(SharedCopy(item, None, reason))
            continue
        copy = disclosure_copy(derivatives.get(item_id, []))
        if copy is None:
            raise ShareRefused(
                f"{item.exhibit_reference} has no redacted or disclosure copy yet; make one, "
                "or choose to share the original and give a reason"
            )
        copies.append(SharedCopy(item, copy))
    return copies


async def create_share(
    tx: ForceTransaction,
    new: NewShare,
    *,
    targets: Mapping[str, str],
    user_id: int | None,
    actor: str,
) -> Share:
    """Create a share in ``tx``: items, delivery record and job, audit events, hook.

    ``targets`` maps each share target the force may use to the plugin that offers it.
    """
    session, force_id = tx.session, tx.force.id
    plugin_id = targets.get(new.target)
    if plugin_id is None:
        offered = ", ".join(sorted(targets)) or "none: enable a sharing plugin"
        raise ShareRefused(f"unknown share target {new.target!r} (this force offers {offered})")
    recipient = new.recipient.strip().lower()
    if not _EMAIL.match(recipient) or len(recipient) > 320:
        raise ShareRefused("the recipient must be an email address")
    now = utcnow()
    if new.expires_at.tzinfo is None:
        raise ShareRefused("the expiry must include a time zone")
    if not now < new.expires_at <= now + MAX_EXPIRY:
        raise ShareRefused("the expiry must be in the future and within a year")
    copies = await choose_copies(session, new.case_id, new.item_ids, new.originals)

    share = Share(
        force_id=force_id,
        case_id=new.case_id,
        target=new.target,
        recipient=recipient,
        created_by=user_id,
        allow_download=new.allow_download,
        expires_at=new.expires_at,
    )
    session.add(share)
    await session.flush()
    for copy in copies:
        session.add(
            ShareItem(
                force_id=force_id,
                share_id=share.id,
                item_id=copy.item.id,
                derivative_id=copy.derivative.id if copy.derivative else None,
                original_reason=copy.original_reason,
            )
        )
        await audit.record(
            session,
            force_id,
            actor=actor,
            action="item.shared",
            object_type="item",
            object_id=copy.item.id,
            reason=copy.original_reason,
            details={
                "share_id": share.id,
                "copy": copy.kind,
                "derivative_id": copy.derivative.id if copy.derivative else None,
                "original_sha256": copy.item.sha256,
                "shared_sha256": (
                    copy.derivative.output_sha256 if copy.derivative else copy.item.sha256
                ),
            },
        )
    session.add(ShareDelivery(force_id=force_id, share_id=share.id, target=new.target))
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="share.created",
        object_type="share",
        object_id=share.id,
        details={
            "case_id": new.case_id,
            "target": new.target,
            "items": [c.item.id for c in copies],
            "allow_download": new.allow_download,
            "expires_at": new.expires_at.isoformat(),
        },
    )
    await enqueue(
        session,
        delivery_job_kind(plugin_id),
        {"share_id": share.id},
        max_attempts=DELIVERY_ATTEMPTS,
    )
    tx.emit("exhibit_share_created", share=share_info(share, [c.item.id for c in copies]))
    return share


def share_info(share: Share, item_ids: Sequence[int]) -> ShareInfo:
    """The snapshot of a share that hooks and share targets receive."""
    return ShareInfo(
        id=share.id,
        case_id=share.case_id,
        target=share.target,
        recipient=share.recipient,
        item_ids=tuple(item_ids),
        expires_at=share.expires_at,
    )


async def unrevoked_shares(session: AsyncSession, item_id: int) -> list[Share]:
    """The shares giving the item that have not been revoked, oldest first.

    An expired share is among them: its partner may already hold the copy it gave.
    """
    return list(
        await session.scalars(
            select(Share)
            .join(ShareItem, ShareItem.share_id == Share.id)
            .where(ShareItem.item_id == item_id, Share.revoked_at.is_(None))
            .order_by(Share.id)
        )
    )


async def find_share(session: AsyncSession, share_id: int) -> Share:
    """A share of the session's force, live or not; ``ShareUnavailable`` if there is none."""
    share = await session.get(Share, share_id)
    if share is None:
        raise ShareUnavailable(f"no share {share_id}")
    return share


async def open_share(session: AsyncSession, share_id: int, recipient: str | None = None) -> Share:
    """A live share: not revoked, not expired (and made to ``recipient``, when given)."""
    share = await find_share(session, share_id)
    if recipient is not None and share.recipient != recipient.strip().lower():
        raise ShareUnavailable(f"no share {share_id}")
    if share.revoked_at is not None:
        raise ShareUnavailable(f"share {share_id} has been revoked")
    if share.expires_at <= utcnow():
        raise ShareUnavailable(f"share {share_id} has expired")
    return share


async def shared_items(session: AsyncSession, share: Share) -> list[SharedCopy]:
    """What a share gives, in item order, each item re-checked as still shareable."""
    rows = (
        await session.execute(
            select(ShareItem, EvidenceItem)
            .join(EvidenceItem, EvidenceItem.id == ShareItem.item_id)
            .where(ShareItem.share_id == share.id)
            .order_by(ShareItem.id)
        )
    ).all()
    copies = []
    for share_item, item in rows:
        # A share already made stays open while a disposal is decided: it is the
        # disposal that needs to know of the share (``evidence.disposal``), not the reverse.
        check_shareable(item, disposal_pending=False)
        derivative = None
        if share_item.derivative_id is not None:
            derivative = await session.get(Derivative, share_item.derivative_id)
            assert derivative is not None
        copies.append(SharedCopy(item, derivative, share_item.original_reason))
    return copies


async def record_access(
    session: AsyncSession, share: Share, action: str, *, actor: str, item_id: int | None = None
) -> None:
    """Audit a view or download of a share (or of one item in it), in the caller's transaction."""
    await audit.record(
        session,
        share.force_id,
        actor=actor,
        action=action,
        object_type="share",
        object_id=share.id,
        details={"item_id": item_id} if item_id is not None else {},
    )


async def revoke_share(session: AsyncSession, share_id: int, *, actor: str, reason: str) -> Share:
    """Revoke a share at once (audited with ``reason``); a pending delivery is withdrawn."""
    share = await find_share(session, share_id)
    if share.revoked_at is not None:
        raise ShareRefused(f"share {share_id} is already revoked")
    if not reason.strip():
        raise ShareRefused("say why the share is revoked")
    if len(reason.strip()) > MAX_REVOKE_REASON:
        raise ShareRefused(f"a reason is at most {MAX_REVOKE_REASON:,} characters")
    share.revoked_at = utcnow()
    delivery = await session.scalar(select(ShareDelivery).where(ShareDelivery.share_id == share.id))
    if delivery is not None and delivery.state is DeliveryState.PENDING:
        delivery.state = DeliveryState.WITHDRAWN
        delivery.updated_at = share.revoked_at
    await audit.record(
        session,
        share.force_id,
        actor=actor,
        action="share.revoked",
        object_type="share",
        object_id=share.id,
        reason=reason.strip(),
    )
    return share
