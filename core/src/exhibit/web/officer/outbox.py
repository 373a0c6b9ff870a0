"""``/outbox``: messages the built-in outbox holds for the force, for a trial without a
messaging provider. The officer passes the link on by hand; every reading is audited,
because the messages hold live upload links."""

from dataclasses import dataclass
from datetime import datetime

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import select

from exhibit.accounts.models import Role, User
from exhibit.audit import log as audit
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import Notification
from exhibit.notifications.routing import OUTBOX
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest
from exhibit.web.auth import require_role
from exhibit.web.officer.pages import AnyRequest, page

SHOWN = 100


@dataclass(frozen=True)
class OutboxMessage:
    """A held message as the officer reads it."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    status: str
    created_at: datetime
    case_id: int | None


@get("/outbox", include_in_schema=False)
async def outbox_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The newest messages held for the force, newest first (officers and above)."""
    require_role(user, Role.OFFICER)
    async with force_transaction(platform, user.force_id) as tx:
        rows = (
            await tx.session.scalars(
                select(Notification)
                .where(Notification.provider.startswith(f"{OUTBOX}:"))
                .order_by(Notification.id.desc())
                .limit(SHOWN)
            )
        ).all()
        request_ids = {r.request_id for r in rows if r.request_id is not None}
        links = await tx.session.execute(
            select(EvidenceRequest.id, EvidenceRequest.case_id).where(
                EvidenceRequest.id.in_(request_ids)
            )
        )
        cases = {request_id: case_id for request_id, case_id in links}
        await audit.record(
            tx.session,
            user.force_id,
            actor=f"user:{user.id}",
            action="outbox.viewed",
            object_type="outbox",
            object_id=user.force_id,
            details={"messages": len(rows), "via": "web"},
        )
    box = platform.secret_box
    messages = []
    for row in rows:
        if row.body_encrypted is None or row.recipient_encrypted is None:
            continue  # purged once the request no longer needed it
        content = unseal(box, row.body_encrypted)
        messages.append(
            OutboxMessage(
                id=row.id,
                channel=row.channel,
                recipient=box.decrypt(row.recipient_encrypted),
                subject=content.subject,
                body=content.body,
                status=row.status.value,
                created_at=row.created_at,
                case_id=cases.get(row.request_id) if row.request_id is not None else None,
            )
        )
    return page(request, "outbox.html", user=user, messages=messages)
