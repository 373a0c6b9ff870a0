"""Writing to a force's audit chain, inside the transaction of the change it records."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit.chain import GENESIS_HASH, ChainedEvent, event_hash
from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.forces.models import Force

# Events written in a session, for the after-commit hook (see exhibit.forces.transaction).
WRITTEN_KEY = "exhibit.audit_written"


async def record(
    session: AsyncSession,
    force_id: int,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the force's chain in the caller's transaction (not committed here).

    ``actor`` says who acted (``"user:12"``, ``"witness:request:5"``, ``"system"``,
    ``"cli"``); ``details`` must be JSON-ready and must not hold secrets or contact details.
    The force's row is locked first, so concurrent writers of one force take turns and the
    chain never forks; an event is therefore committed or rolled back with its change.
    """
    await session.execute(select(Force.id).where(Force.id == force_id).with_for_update())
    last = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.force_id == force_id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    content = ChainedEvent(
        force_id=force_id,
        seq=seq,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason,
        details=dict(details or {}),
        prev_hash=prev_hash,
    )
    event = AuditEvent(
        force_id=force_id,
        seq=seq,
        occurred_at=content.occurred_at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=content.object_id,
        reason=reason,
        details=content.details,
        prev_hash=prev_hash,
        hash=event_hash(content),
    )
    session.add(event)
    await session.flush()
    session.info.setdefault(WRITTEN_KEY, []).append(event)
    return event


def chained_content(event: AuditEvent) -> ChainedEvent:
    """The hashed content of a stored event, as read back from the database."""
    return ChainedEvent(
        force_id=event.force_id,
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        reason=event.reason,
        details=event.details,
        prev_hash=event.prev_hash,
    )
