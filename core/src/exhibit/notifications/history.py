"""The messages of requests as an officer sees them: status history and failures to act on."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange


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

    @property
    def failed(self) -> bool:
        """True when the message did not reach the witness and will not be tried again."""
        return self.status == DeliveryStatus.FAILED_PERMANENTLY.value


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
    for n in notifications:
        assert n.request_id is not None
        found.setdefault(n.request_id, []).append(
            MessageHistory(
                id=n.id,
                channel=n.channel,
                purpose=n.purpose,
                provider=n.provider,
                status=n.status.value,
                detail=n.status_detail,
                steps=tuple(steps.get(n.id, ())),
            )
        )
    return found
