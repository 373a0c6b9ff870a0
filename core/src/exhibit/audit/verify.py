"""Checking a force's stored audit chain from its first event to its last."""

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit.chain import GENESIS_HASH, ChainBreak, find_break
from exhibit.audit.log import chained_content
from exhibit.audit.models import AuditEvent

_BATCH = 1000


class ChainReport(msgspec.Struct, frozen=True):
    """The result of verifying one force's chain."""

    force_id: int
    events: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        """True when every event verified."""
        return self.broken is None


async def verify_force_chain(session: AsyncSession, force_id: int) -> ChainReport:
    """Verify every event of one force in ``seq`` order, reading in batches."""
    count, next_seq, prev_hash = 0, 1, GENESIS_HASH
    while True:
        batch = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.force_id == force_id, AuditEvent.seq >= next_seq)
                .order_by(AuditEvent.seq)
                .limit(_BATCH)
            )
        ).all()
        if not batch:
            return ChainReport(force_id=force_id, events=count, broken=None)
        pairs = [(chained_content(event), event.hash) for event in batch]
        broken = find_break(pairs, start_seq=next_seq, start_hash=prev_hash)
        if broken is not None:
            return ChainReport(force_id=force_id, events=count, broken=broken)
        count += len(batch)
        next_seq, prev_hash = batch[-1].seq + 1, batch[-1].hash
