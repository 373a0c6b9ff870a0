"""An officer's decisions on an item: accept, decline, tag, categorise, mark sensitive.

Each change is audited in the caller's transaction; accept and decline also queue the
``exhibit_item_accepted`` / ``exhibit_item_declined`` event hooks for after the commit.
A refused change raises ``ReviewRefused`` (a ``ValueError``) and changes nothing. Which
change an item's state allows is decided in ``exhibit.evidence.actions``.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exhibit.accounts.models import User
from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.evidence.actions import FROZEN_BY_DISPOSAL, ItemAction, disposal_awaited, refusal
from exhibit.evidence.models import Category, EvidenceItem, ReviewState
from exhibit.evidence.references import next_reference
from exhibit.forces.models import Force
from exhibit.forces.transaction import ForceTransaction
from exhibit.uploads.submissions import item_info

MAX_REASON = 2000
MAX_TAG = 50
MAX_TAGS = 30
_REFERENCE_ATTEMPTS = 5


class ReviewRefused(ValueError):
    """The change is not allowed for this item (state, missing reason, bad tag)."""


def actor_of(user: User) -> str:
    """How a user appears in the audit log."""
    return f"user:{user.id}"


async def _force(tx: ForceTransaction) -> Force:
    # Lock the force row first, as audit.record would: writers of one force take turns, so
    # two officers accepting on one case do not normally compute the same number.
    force = await tx.session.scalar(select(Force).where(Force.id == tx.force.id).with_for_update())
    assert force is not None
    return force


async def check_allowed(tx: ForceTransaction, item: EvidenceItem, action: ItemAction) -> None:
    """``ReviewRefused`` unless the item's state allows ``action`` now."""
    pending = action in FROZEN_BY_DISPOSAL and await disposal_awaited(tx.session, item.id)
    problem = refusal(item, action, disposal_pending=pending)
    if problem is not None:
        raise ReviewRefused(problem)


async def accept(tx: ForceTransaction, item: EvidenceItem, user: User) -> str:
    """Accept ``item`` as an exhibit and give it the next reference on its case."""
    await check_allowed(tx, item, ItemAction.ACCEPT)
    force = await _force(tx)
    session = tx.session
    case = await session.get(Case, item.case_id)
    assert case is not None
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = await next_reference(session, case, force.exhibit_reference_format, user.name)
        try:
            async with session.begin_nested():
                item.exhibit_reference = reference
                await session.flush()
            break
        except IntegrityError:
            await session.refresh(item)  # the savepoint's rollback expired it
    else:
        raise ReviewRefused("could not assign a unique exhibit reference; try again")
    item.review_state = ReviewState.ACCEPTED
    item.retain_until = None
    item.decline_reason = ""
    _reviewed(item, user)
    await audit.record(
        session,
        item.force_id,
        actor=actor_of(user),
        action="item.accepted",
        object_type="item",
        object_id=item.id,
        details={"exhibit_reference": reference, "sha256": item.sha256},
    )
    tx.emit("exhibit_item_accepted", item=item_info(item), actor=actor_of(user))
    return reference


async def decline(tx: ForceTransaction, item: EvidenceItem, user: User, reason: str) -> None:
    """Decline ``item`` with a reason; it is kept for the force's declined-retention period."""
    reason = reason.strip()
    if not reason:
        raise ReviewRefused("give a reason to decline")
    if len(reason) > MAX_REASON:
        raise ReviewRefused(f"a reason is at most {MAX_REASON} characters")
    await check_allowed(tx, item, ItemAction.DECLINE)
    force = await _force(tx)
    item.review_state = ReviewState.DECLINED
    item.decline_reason = reason
    item.retain_until = utcnow() + timedelta(days=force.declined_retention_days)
    _reviewed(item, user)
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action="item.declined",
        object_type="item",
        object_id=item.id,
        reason=reason,
        details={"retain_until": item.retain_until.isoformat()},
    )
    tx.emit("exhibit_item_declined", item=item_info(item), actor=actor_of(user), reason=reason)


def clean_tags(raw: list[str]) -> list[str]:
    """Tags as given, trimmed, without blanks or repeats (case-insensitive), checked."""
    tags: list[str] = []
    for tag in (t.strip() for t in raw):
        if not tag or tag.lower() in (t.lower() for t in tags):
            continue
        if len(tag) > MAX_TAG:
            raise ReviewRefused(f"a tag is at most {MAX_TAG} characters")
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ReviewRefused(f"an item has at most {MAX_TAGS} tags")
    return tags


async def set_tags(tx: ForceTransaction, item: EvidenceItem, user: User, tags: list[str]) -> None:
    """Replace the item's tags (audited with what was added and removed)."""
    await check_allowed(tx, item, ItemAction.TAG)
    new = clean_tags(tags)
    old = list(item.tags)
    if new == old:
        return
    item.tags = new
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action="item.tagged",
        object_type="item",
        object_id=item.id,
        details={
            "added": [t for t in new if t not in old],
            "removed": [t for t in old if t not in new],
        },
    )


async def add_tag(tx: ForceTransaction, item: EvidenceItem, user: User, tag: str) -> None:
    """Add one tag to the item (a bulk action)."""
    await set_tags(tx, item, user, [*item.tags, tag])


async def categorise(
    tx: ForceTransaction, item: EvidenceItem, user: User, category: Category | None
) -> None:
    """Put the item in one of the force's categories (or none).

    A categorised item that is not declined is kept for the category's retention period
    from now; a declined item keeps its declined-retention date.
    """
    await check_allowed(tx, item, ItemAction.CATEGORISE)
    item.category_id = category.id if category else None
    if category and item.review_state != ReviewState.DECLINED:
        item.retain_until = utcnow() + timedelta(days=category.retention_days)
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action="item.categorised",
        object_type="item",
        object_id=item.id,
        details={
            "category": category.name if category else None,
            "retain_until": item.retain_until.isoformat() if item.retain_until else None,
        },
    )


async def set_sensitive(
    tx: ForceTransaction, item: EvidenceItem, user: User, sensitive: bool, reason: str = ""
) -> None:
    """Mark the item sensitive / do-not-disclose, or clear the mark."""
    await check_allowed(tx, item, ItemAction.MARK_SENSITIVE)
    if item.sensitive == sensitive:
        return
    item.sensitive = sensitive
    await audit.record(
        tx.session,
        item.force_id,
        actor=actor_of(user),
        action="item.marked_sensitive" if sensitive else "item.sensitive_cleared",
        object_type="item",
        object_id=item.id,
        reason=reason.strip()[:MAX_REASON],
    )


def _reviewed(item: EvidenceItem, user: User) -> None:
    item.reviewed_by = user.id
    item.reviewed_at = utcnow()
