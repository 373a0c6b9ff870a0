"""Checking a force's stored audit chain from its first event to its last.

A chain verifies link by link, but events cut from its *end* leave a shorter chain that
still verifies. So every report names the chain's head (its last event's number and hash):
whoever notes a head can later ask whether the chain still holds that event unchanged.
"""

import re

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit.chain import GENESIS_HASH, ChainBreak, find_break
from exhibit.audit.log import chained_content
from exhibit.audit.models import AuditEvent

_BATCH = 1000
_HEAD = re.compile(r"([1-9][0-9]{0,17}):([0-9a-f]{64})")


class ChainHead(msgspec.Struct, frozen=True):
    """An event of a chain by number and hash, written ``SEQ:HASH``."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> "ChainHead":
        """Read ``SEQ:HASH`` (as a report prints it); ValueError if it is not that."""
        match = _HEAD.fullmatch(text.strip().lower())
        if match is None:
            raise ValueError("a chain head is written SEQ:HASH, e.g. 42:<64 hexadecimal digits>")
        return cls(seq=int(match[1]), hash=match[2])


class ChainReport(msgspec.Struct, frozen=True):
    """The result of verifying one force's chain.

    ``events`` counts the events that verified (those before a break), ``head`` is the last
    of them (None for an empty chain).
    """

    force_id: int
    events: int
    head: ChainHead | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        """True when every event verified."""
        return self.broken is None


async def verify_force_chain(
    session: AsyncSession, force_id: int, noted_head: ChainHead | None = None
) -> ChainReport:
    """Verify every event of one force in ``seq`` order, reading in batches.

    With ``noted_head`` (a head reported earlier), the chain must also still hold that event
    with that hash: a chain cut back or rebuilt since fails there.
    """
    head: ChainHead | None = None
    while True:
        next_seq = head.seq + 1 if head else 1
        batch = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.force_id == force_id, AuditEvent.seq >= next_seq)
                .order_by(AuditEvent.seq)
                .limit(_BATCH)
            )
        ).all()
        if not batch:
            break
        pairs = [(chained_content(event), event.hash) for event in batch]
        broken = find_break(
            pairs, start_seq=next_seq, start_hash=head.hash if head else GENESIS_HASH
        )
        if broken is not None:
            verified = [event for event in batch if event.seq < broken.seq]
            if verified:
                head = ChainHead(verified[-1].seq, verified[-1].hash)
            return ChainReport(force_id, head.seq if head else 0, head, broken)
        head = ChainHead(batch[-1].seq, batch[-1].hash)
    broken = await _check_noted(session, force_id, head, noted_head) if noted_head else None
    return ChainReport(force_id, head.seq if head else 0, head, broken)


async def _check_noted(
    session: AsyncSession, force_id: int, head: ChainHead | None, noted: ChainHead
) -> ChainBreak | None:
    last = head.seq if head else 0
    if noted.seq > last:
        return ChainBreak(
            last + 1,
            f"is missing: the chain ends at event {last}, but its head was noted as event "
            f"{noted.seq} (events were removed from its end)",
        )
    stored = (
        head.hash
        if head is not None and noted.seq == last
        else await session.scalar(
            select(AuditEvent.hash).where(
                AuditEvent.force_id == force_id, AuditEvent.seq == noted.seq
            )
        )
    )
    if stored != noted.hash:
        return ChainBreak(noted.seq, "differs from the head noted earlier (the chain was rebuilt)")
    return None
