"""``/api/v1/outbox``: messages held by the built-in outbox, for forces without a provider.

In a trial the officer reads the witness's message here and passes it on by hand. Each
reading is audited because the messages hold live upload links.
"""

from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy import select

from exhibit.accounts.models import Role, User
from exhibit.audit import log as audit
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import Notification
from exhibit.notifications.routing import OUTBOX
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from exhibit.web.auth import require_role


class OutboxMessageOut(msgspec.Struct):
    """A message waiting in the outbox."""

    id: int
    channel: str
    purpose: str
    request_id: int | None
    recipient: str
    subject: str
    body: str
    status: str
    created_at: datetime


class OutboxController(Controller):
    """The force's outbox, newest first."""

    path = "/outbox"
    tags = ["notifications"]

    @get("/")
    async def list_messages(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> list[OutboxMessageOut]:
        """The newest 100 outbox messages of the caller's force (officers and above)."""
        require_role(user, Role.OFFICER)
        box = platform.secret_box
        async with force_transaction(platform, user.force_id) as tx:
            rows = (
                await tx.session.scalars(
                    select(Notification)
                    .where(Notification.provider.startswith(f"{OUTBOX}:"))
                    .order_by(Notification.id.desc())
                    .limit(100)
                )
            ).all()
            await audit.record(
                tx.session,
                user.force_id,
                actor=f"user:{user.id}",
                action="outbox.viewed",
                object_type="outbox",
                object_id=user.force_id,
                details={"messages": len(rows)},
            )
        messages = []
        for row in rows:
            if row.body_encrypted is None or row.recipient_encrypted is None:
                continue  # purged once the request no longer needed it
            content = unseal(box, row.body_encrypted)
            messages.append(
                OutboxMessageOut(
                    id=row.id,
                    channel=row.channel,
                    purpose=row.purpose,
                    request_id=row.request_id,
                    recipient=box.decrypt(row.recipient_encrypted),
                    subject=content.subject,
                    body=content.body,
                    status=row.status.value,
                    created_at=row.created_at,
                )
            )
        return messages
