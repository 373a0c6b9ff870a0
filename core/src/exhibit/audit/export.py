"""A force's whole audit chain, written out so that anyone holding it can check it offline.

Every event is given in full, oldest first, in the form of a share bundle's audit segment
(``exhibit.audit.segment``); ``check_export`` (or ``exhibit audit check FILE``) makes the
same checks as ``exhibit.audit.verify`` without a database. Events are read in batches, so
a chain of any length is written in bounded memory.
"""

from collections.abc import AsyncIterator, Iterable

from sqlalchemy import select

from exhibit.audit.chain import GENESIS_HASH
from exhibit.audit.log import chained_content
from exhibit.audit.models import AuditEvent
from exhibit.audit.segment import FullEvent, Walk, encode_line, walk
from exhibit.audit.verify import ChainHead
from exhibit.platform import Platform

BATCH = 1000


async def chain_lines(platform: Platform, force_id: int) -> AsyncIterator[bytes]:
    """The force's chain as JSON lines, every event in full, from its first event to its
    head as it stands when each batch is read."""
    after = 0
    while True:
        async with platform.force_session(force_id) as session:
            events = (
                await session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.force_id == force_id, AuditEvent.seq > after)
                    .order_by(AuditEvent.seq)
                    .limit(BATCH)
                )
            ).all()
        if not events:
            return
        yield b"".join(
            encode_line(FullEvent(content=chained_content(e), hash=e.hash)) for e in events
        )
        after = events[-1].seq


def check_export(lines: Iterable[bytes], noted_head: ChainHead | None = None) -> Walk:
    """Check an export: it must start at the force's first event, every event given in full
    and chained to the one before, and hold ``noted_head`` (a head noted earlier) unchanged.
    ``problem`` says where it breaks, if it does."""
    note = noted_head.seq if noted_head else None
    found = walk(lines, first_seq=1, start_prev_hash=GENESIS_HASH, note=note)
    if found.problem is None and len(found.full_events) != found.count:
        # Full events are listed in order from 1: the first seq out of place is a link's.
        linked = next(seq for seq, full in enumerate([*found.full_events, 0], 1) if seq != full)
        found.problem = f"event {linked} is given only as a link, not in full"
    if found.problem is None and noted_head and found.noted_hash != noted_head.hash:
        found.problem = (
            f"the noted head {noted_head} is not in it unchanged (events cut from the end, "
            "or the chain rebuilt)"
        )
    return found
