"""The messages of requests as an officer sees them: status history and failures to act on."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange
from exhibit.notifications.reminders import LINK_PURPOSE, REMINDER_PURPOSE


@dataclass(frozen=True)
class StatusStep:
    """One step of a message's history."""

    status: str
    detail: str
    occurred_at: datetime


@dataclass(frozen=True)
class MessageHistory:
    """One message of a request: channel, purpose, provider, status and how it got there."""

    id: int
    channel: str
    purpose: str
    provider: str
    status: str
    detail: str
    steps: tuple[StatusStep, ...]
    superseded: bool = False
    """A newer link went on the same channel since (the officer resent the request)."""

    @property
    def failed(self) -> bool:
        """True when the message did not reach the witness, will not be tried again, and
        no newer link on its channel has taken its place: the officer has something to do."""
        return self.status == DeliveryStatus.FAILED_PERMANENTLY.value and not self.superseded


async def request_messages(
    session: AsyncSession, request_ids: Collection[int]
) -> dict[int, list[MessageHistory]]:
    """Each request's messages, oldest first, with their status histories."""
    if not request_ids:
        return {}
    notifications = (
        await session.scalars(
            select(Notification)
            .where(Notification.request_id.in_(list(request_ids)))
            .order_by(Notification.id)
        )
    ).all()
    changes = (
        await session.scalars(
            select(NotificationStatusChange)
            .where(NotificationStatusChange.notification_id.in_([n.id for n in notifications]))
            .order_by(NotificationStatusChange.id)
        )
    ).all()
    steps: dict[int, list[StatusStep]] = {}
    for change in changes:
        steps.setdefault(change.notification_id, []).append(
            StatusStep(change.status.value, change.detail, change.occurred_at)
        )
    found: dict[int, list[MessageHistory]] = {}
    newest_link = {
        (n.request_id, n.channel): n.id for n in notifications if n.purpose == LINK_PURPOSE
    }
    for n in notifications:
        assert n.request_id is not None
        superseded = n.purpose in (LINK_PURPOSE, REMINDER_PURPOSE) and n.id < newest_link.get(
            (n.request_id, n.channel), 0
        )
        found.setdefault(n.request_id, []).append(
            MessageHistory(
                id=n.id,
                channel=n.channel,
                purpose=n.purpose,
                provider=n.provider,
                status=n.status.value,
                detail=n.status_detail,
                steps=tuple(steps.get(n.id, ())),
                superseded=superseded,
            )
        )
    return found
