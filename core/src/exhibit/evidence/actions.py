"""What may be done to an item in its present state: one rule for the review, quarantine and
disposal functions, the item page and the JSON API, so a button shows exactly when the
change it asks for would be made.

- A disposed item is a tombstone: nothing changes it.
- While a disposal request awaits a decision the item's review is frozen: it is not
  accepted, declined, released from quarantine or put in another category (which moves its
  retention date) until the request is approved or refused, so the approver decides on the
  item as it was when disposal was asked for. Tags and the sensitive mark may still change:
  they describe the item and restrict its disclosure, and restricting must never wait.
- Accept: a pending item, or a declined one reconsidered. A quarantined item is released
  into review first.
- Decline: a pending or a quarantined item.
- Release from quarantine: a quarantined item only.
- Disposal: an item someone has decided on (accepted or declined) or a quarantined one, one
  request at a time. An item nobody has reviewed is declined first, saying why (a duplicate,
  the wrong incident), so that nothing is destroyed before anyone has assessed it.
- Approving a disposal: the same rule, applied again when the request is decided, for a
  request made before the rule existed. Such a request is refused; the item is then declined,
  saying why, and its disposal asked for again.
"""

import enum
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.evidence.models import DisposalRequest, DisposalState, EvidenceItem, ReviewState


class ItemAction(enum.StrEnum):
    """A change an officer may ask for on one item."""

    ACCEPT = "accept"
    DECLINE = "decline"
    RELEASE = "release"
    TAG = "tag"
    CATEGORISE = "categorise"
    MARK_SENSITIVE = "mark_sensitive"
    REQUEST_DISPOSAL = "request_disposal"
    APPROVE_DISPOSAL = "approve_disposal"


FROZEN_BY_DISPOSAL = frozenset(
    {
        ItemAction.ACCEPT,
        ItemAction.DECLINE,
        ItemAction.RELEASE,
        ItemAction.CATEGORISE,
        ItemAction.REQUEST_DISPOSAL,
    }
)
"""The actions refused while a disposal request for the item awaits a decision."""


def refusal(item: EvidenceItem, action: ItemAction, *, disposal_pending: bool) -> str | None:
    """Why ``action`` may not be done to ``item`` now, or None if it may.

    ``disposal_pending`` says whether a disposal request for the item awaits a decision.
    """
    state = item.review_state
    if state == ReviewState.DISPOSED:
        return f"item {item.id} has been disposed of"
    if not disposal_pending and action == ItemAction.APPROVE_DISPOSAL:
        return f"no disposal of {item.original_filename} awaits a decision"
    if disposal_pending and action == ItemAction.REQUEST_DISPOSAL:
        return "a disposal of this item is already awaiting approval"
    if disposal_pending and action in FROZEN_BY_DISPOSAL:
        return (
            f"a disposal of {item.original_filename} is awaiting a decision; its review can "
            "change again once the disposal is approved or refused"
        )
    return _state_refusal(item, action)


def _state_refusal(item: EvidenceItem, action: ItemAction) -> str | None:
    name, state = item.original_filename, item.review_state
    if action == ItemAction.ACCEPT:
        if state == ReviewState.ACCEPTED:
            return f"{name} is already exhibit {item.exhibit_reference}"
        if state == ReviewState.QUARANTINED:
            return (
                f"{name} is quarantined ({item.quarantine_reason}); a supervisor or evidence "
                "manager must release it into review before it is accepted"
            )
    if action == ItemAction.DECLINE:
        if state == ReviewState.DECLINED:
            return f"{name} is already declined"
        if state == ReviewState.ACCEPTED:
            return (
                f"{name} is exhibit {item.exhibit_reference}; an accepted exhibit is not declined"
            )
    if action == ItemAction.RELEASE and state != ReviewState.QUARANTINED:
        return f"{name} is not quarantined"
    if action == ItemAction.REQUEST_DISPOSAL and state == ReviewState.PENDING:
        return (
            f"{name} has not been reviewed; decline it, saying why, before asking for its disposal"
        )
    if action == ItemAction.APPROVE_DISPOSAL and state == ReviewState.PENDING:
        return (
            f"{name} has not been reviewed, so its disposal is not approved: refuse this "
            "request, then decline the item, saying why, and ask for its disposal again"
        )
    return None


def allowed_actions(item: EvidenceItem, *, disposal_pending: bool) -> frozenset[ItemAction]:
    """Every action ``refusal`` lets through for ``item`` now."""
    return frozenset(
        action
        for action in ItemAction
        if refusal(item, action, disposal_pending=disposal_pending) is None
    )


async def disposal_awaited(session: AsyncSession, item_id: int) -> bool:
    """True if a disposal request for the item awaits a decision."""
    return bool(await disposals_awaited(session, [item_id]))


async def disposals_awaited(session: AsyncSession, item_ids: Collection[int]) -> set[int]:
    """Those of ``item_ids`` for which a disposal request awaits a decision."""
    found = await session.scalars(
        select(DisposalRequest.item_id).where(
            DisposalRequest.item_id.in_(item_ids), DisposalRequest.state == DisposalState.PENDING
        )
    )
    return set(found)
