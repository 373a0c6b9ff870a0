"""Queueing a message: an encrypted notification record plus a delivery job, in one transaction."""

from datetime import timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.jobs.queue import Backoff, enqueue
from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange
from exhibit.secrets import SecretBox

DELIVER_JOB = "core.deliver_notification"
DELIVERY_BACKOFF = Backoff(first=timedelta(seconds=30), cap=timedelta(minutes=30), jitter=0.2)
"""The wait between attempts at a message: 30 s, doubling to 30 min, less up to a fifth.

A provider's outage lasts minutes or hours, not seconds: a message is tried again over
some hours before it counts as failed. A refusal for good (a bad number, a bad key) is not
retried at all.
"""
DELIVERY_ATTEMPTS = 16
"""Attempts at one provider before a message counts as failed (the last is recorded so).

With ``DELIVERY_BACKOFF`` the last attempt comes 4 to 5 hours after the first.
"""
CHANNELS = ("sms", "email")


class MessageContent(msgspec.Struct, frozen=True, kw_only=True):
    """What a message says; stored encrypted on its notification record."""

    subject: str = ""
    body: str
    html_body: str | None = None
    link: str | None = None
    """The upload link the body carries: kept whole when a text message is shortened."""
    languages: tuple[str, ...] = ("en",)
    """The languages the message is written in, in their order (``("cy", "en")``): an email's
    frame (heading, footer) and its ``Content-Language`` follow them."""
    when_cut: str = ""
    """A line a text message over its budget ends with, once shortened: where to find what
    did not fit (a receipt's files beyond the first few)."""
    essentials: tuple[str, ...] = ()
    """In a message in Welsh and English, the lines besides those with the force's name and
    the link that a text message over its budget is cut down to: the expiry in each
    language. The rest (the officer's words, the contact details) then goes in both
    languages at once. Empty for a message in one language, shortened line by line."""


def seal(box: SecretBox, content: MessageContent) -> str:
    """The encrypted form of a message's content."""
    return box.encrypt(msgspec.json.encode(content).decode())


def unseal(box: SecretBox, sealed: str) -> MessageContent:
    """The content of a message from its encrypted form."""
    return msgspec.json.decode(box.decrypt(sealed), type=MessageContent)


async def queue_message(
    session: AsyncSession,
    box: SecretBox,
    force_id: int,
    *,
    channel: str,
    recipient: str,
    content: MessageContent,
    purpose: str,
    request_id: int | None = None,
) -> Notification:
    """Record a message and queue its delivery; both commit (or not) with the caller's change.

    The recipient and the content are encrypted at rest; the notifier is chosen when the job
    runs, from the plugins the force has enabled then.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    notification = Notification(
        force_id=force_id,
        request_id=request_id,
        channel=channel,
        provider="",
        purpose=purpose,
        recipient_encrypted=box.encrypt(recipient),
        body_encrypted=seal(box, content),
        status=DeliveryStatus.QUEUED,
    )
    session.add(notification)
    await session.flush()
    session.add(
        NotificationStatusChange(
            force_id=force_id, notification_id=notification.id, status=DeliveryStatus.QUEUED
        )
    )
    await enqueue_delivery(session, notification)
    return notification


async def enqueue_delivery(session: AsyncSession, notification: Notification) -> None:
    """Queue (again) the job that delivers ``notification``, in the caller's transaction."""
    await enqueue(
        session,
        DELIVER_JOB,
        {"notification_id": notification.id},
        force_id=notification.force_id,
        max_attempts=DELIVERY_ATTEMPTS,
    )
