"""Reading the messages the built-in outbox holds for a force, audited.

In a trial without an SMS or email provider, an officer reads the witness's message here and
passes it on by hand. Every reading is audited because the messages hold live upload links.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.forces.transaction import ForceTransaction
from exhibit.notifications.models import Notification
from exhibit.notifications.routing import OUTBOX
from exhibit.notifications.service import unseal
from exhibit.secrets import SecretBox
from exhibit.uploads.models import EvidenceRequest

SHOWN = 100


@dataclass(frozen=True)
class HeldMessage:
    """A message in the outbox as an officer reads it."""

    id: int
    channel: str
    purpose: str
    request_id: int | None
    case_id: int | None
    recipient: str
    subject: str
    body: str
    status: str
    created_at: datetime


async def read_outbox(
    tx: ForceTransaction,
    box: SecretBox,
    *,
    user_id: int,
    via: str,
    before: int | None = None,
    limit: int = SHOWN,
) -> list[HeldMessage]:
    """The force's newest ``limit`` held messages (older than message ``before``, if given),
    newest first; records who read them and how."""
    session, force_id = tx.session, tx.force.id
    query = select(Notification).where(*_held()).order_by(Notification.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Notification.id < before)
    rows = (await session.scalars(query)).all()
    request_ids = {r.request_id for r in rows if r.request_id is not None}
    links = await session.execute(
        select(EvidenceRequest.id, EvidenceRequest.case_id).where(
            EvidenceRequest.id.in_(request_ids)
        )
    )
    cases = {request_id: case_id for request_id, case_id in links}
    await audit.record(
        session,
        force_id,
        actor=f"user:{user_id}",
        action="outbox.viewed",
        object_type="outbox",
        object_id=force_id,
        details={"messages": len(rows), "via": via},
    )
    messages = []
    for row in rows:
        # Purged messages are not selected (``_held``).
        assert row.body_encrypted is not None
        assert row.recipient_encrypted is not None
        content = unseal(box, row.body_encrypted)
        messages.append(
            HeldMessage(
                id=row.id,
                channel=row.channel,
                purpose=row.purpose,
                request_id=row.request_id,
                case_id=cases.get(row.request_id) if row.request_id is not None else None,
                recipient=box.decrypt(row.recipient_encrypted),
                subject=content.subject,
                body=content.body,
                status=row.status.value,
                created_at=row.created_at,
            )
        )
    return messages


async def held_before(session: AsyncSession, message_id: int) -> bool:
    """Whether the outbox holds a message older than ``message_id`` (a page after it)."""
    older = await session.scalar(
        select(Notification.id).where(*_held(), Notification.id < message_id).limit(1)
    )
    return older is not None


def _held() -> tuple[ColumnElement[bool], ...]:
    """The outbox's messages that still hold their text: it is purged once the request no
    longer needs it, and a purged message is not shown."""
    return (
        Notification.provider.startswith(f"{OUTBOX}:"),
        Notification.body_encrypted.is_not(None),
        Notification.recipient_encrypted.is_not(None),
    )
