"""``/api/v1/outbox``: messages held by the built-in outbox, for forces without a provider."""

from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import DeliveryStatus
from exhibit.notifications.outbox_reader import read_outbox
from exhibit.platform import Platform


class OutboxMessageOut(msgspec.Struct):
    """A message waiting in the outbox."""

    id: int
    channel: str
    purpose: str
    request_id: int | None
    recipient: str
    subject: str
    body: str
    status: DeliveryStatus
    created_at: datetime


class OutboxController(Controller):
    """The force's outbox, newest first. Each reading is audited (the messages hold links)."""

    path = "/outbox"
    tags = ["notifications"]

    @get("/", opt={"permission": Permission.MANAGE_REQUESTS})
    async def list_messages(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> list[OutboxMessageOut]:
        """The newest 100 outbox messages of the caller's force (those who manage requests)."""
        async with force_transaction(platform, user.force_id) as tx:
            held = await read_outbox(tx, platform.secret_box, user_id=user.id, via="api")
        return [
            OutboxMessageOut(
                id=m.id,
                channel=m.channel,
                purpose=m.purpose,
                request_id=m.request_id,
                recipient=m.recipient,
                subject=m.subject,
                body=m.body,
                status=DeliveryStatus(m.status),
                created_at=m.created_at,
            )
            for m in held
        ]
