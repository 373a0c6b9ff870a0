"""``/api/v1/outbox``: messages held by the built-in outbox, for forces without a provider."""

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.paging import PAGE, Before, Limit, answer_page, next_page_header, paged_help
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import DeliveryStatus
from exhibit.notifications.outbox_reader import held_before, read_outbox
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


LIST_HELP = paged_help(
    "The messages the force's outbox holds (each reading is audited: they hold links)",
    "newest first",
)


class OutboxController(Controller):
    """The force's outbox, newest first. Each reading is audited (the messages hold links)."""

    path = "/outbox"
    tags = ["notifications"]

    @get(
        "/",
        opt={"permission": Permission.MANAGE_REQUESTS},
        description=LIST_HELP,
        response_headers=[next_page_header("messages")],
    )
    async def list_messages(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        limit: Limit = PAGE,
        before: Before = None,
    ) -> Response[list[OutboxMessageOut]]:
        """The outbox messages of the caller's force (those who manage requests), newest
        first, a page at a time."""
        async with force_transaction(platform, user.force_id) as tx:
            held = await read_outbox(
                tx, platform.secret_box, user_id=user.id, via="api", before=before, limit=limit
            )
            # Only the messages shown are read (and audited): one more is only looked for.
            more = len(held) == limit and await held_before(tx.session, held[-1].id)
        return answer_page(
            request,
            [
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
            ],
            limit=limit,
            cursor="before",
            more=more,
        )
