"""The items either side of one item in its case's list, for fast review page by page.

The order is the case page's (newest first: time received, then id), so "Previous item" is
the one listed above and "Next item" the one listed below. Each is one indexed query
(``ix_evidence_item_case_received``) through the caller's force-scoped session, so another
force's items never appear.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from exhibit.evidence.models import EvidenceItem, ReviewState


@dataclass(frozen=True)
class Neighbour:
    """An item next to this one in its case's list: its id and what to call it."""

    id: int
    label: str


async def neighbours(
    session: AsyncSession, item: EvidenceItem
) -> tuple[Neighbour | None, Neighbour | None]:
    """The items listed just before (newer) and just after (older) ``item`` on its case page."""
    received, item_id = EvidenceItem.received_at, EvidenceItem.id
    newer = or_(received > item.received_at, and_(received == item.received_at, item_id > item.id))
    older = or_(received < item.received_at, and_(received == item.received_at, item_id < item.id))
    before = await _first(session, item.case_id, newer, received, item_id)
    after = await _first(session, item.case_id, older, received.desc(), item_id.desc())
    return before, after


async def next_waiting(session: AsyncSession, item: EvidenceItem) -> Neighbour | None:
    """The first item listed after (older than) ``item`` on its case page that is still
    waiting for review: where an officer working down the list goes next."""
    received, item_id = EvidenceItem.received_at, EvidenceItem.id
    older = or_(received < item.received_at, and_(received == item.received_at, item_id < item.id))
    waiting = and_(older, EvidenceItem.review_state == ReviewState.PENDING)
    return await _first(session, item.case_id, waiting, received.desc(), item_id.desc())


async def _first(
    session: AsyncSession,
    case_id: int,
    where: ColumnElement[bool],
    *order: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> Neighbour | None:
    row = (
        await session.execute(
            select(EvidenceItem.id, EvidenceItem.exhibit_reference, EvidenceItem.original_filename)
            .where(EvidenceItem.case_id == case_id, where)
            .order_by(*order)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    found, reference, filename = row
    return Neighbour(found, reference or filename)
