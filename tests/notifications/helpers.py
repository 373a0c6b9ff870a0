"""Shared steps of the delivery tests: forces with a notifier enabled, queued messages,
running the worker, and reading back what happened."""

from typing import Any

from sqlalchemy import select, update

from exhibit.db.base import utcnow
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job
from exhibit.jobs.worker import Worker
from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.platform import Platform

LINK = "https://exhibit.test/u/secret-token-123"


async def make_force(
    platform: Platform, slug: str, plugin: str | None = None, config: Any = None
) -> int:
    """A force named "<Slug> Police", with ``plugin`` enabled and configured if given."""
    async with platform.system_session() as session:
        force = await create_force(session, slug=slug, name=f"{slug.title()} Police", actor="test")
        force.contact_details = "call 101"
        await session.commit()
    if plugin is not None:
        await enable(platform, force.id, plugin, config)
    return force.id


async def enable(platform: Platform, force_id: int, plugin: str, config: Any) -> None:
    """Enable ``plugin`` for the force with ``config``."""
    async with force_transaction(platform, force_id) as tx:
        await configure_plugin(
            tx.session,
            platform.plugins,
            platform.secret_box,
            force_id,
            plugin,
            enabled=True,
            config=config,
            actor="test",
        )


async def queue(
    platform: Platform,
    force_id: int,
    recipient: str,
    *,
    channel: str = "sms",
    body: str | None = None,
    subject: str = "Kent Police: please send your evidence",
) -> int:
    """Queue a link message; returns its notification id."""
    text = body or f"Kent Police is asking you to send photos.\nUpload them here: {LINK}"
    async with force_transaction(platform, force_id) as tx:
        notification = await queue_message(
            tx.session,
            platform.secret_box,
            force_id,
            channel=channel,
            recipient=recipient,
            content=MessageContent(subject=subject, body=text, link=LINK),
            purpose="upload_link",
        )
    return notification.id


async def run_jobs(platform: Platform) -> int:
    """Run due jobs until none is due; returns how many ran."""
    worker = Worker(platform)
    ran = 0
    while await worker.run_once():
        ran += 1
    return ran


async def sent_through(
    platform: Platform, slug: str, plugin: str, config: Any, recipient: str, channel: str
) -> tuple[int, int, str]:
    """A force with ``plugin`` configured and a message to ``recipient`` that it has sent.

    Returns the force's id, the message's id and the provider's reference for it.
    """
    force_id = await make_force(platform, slug, plugin, config)
    message = await queue(platform, force_id, recipient, channel=channel)
    await run_jobs(platform)
    row = await notification(platform, force_id, message)
    assert row.status == DeliveryStatus.SENT and row.provider_reference
    return force_id, message, row.provider_reference


async def make_due(platform: Platform) -> None:
    """Bring every waiting job's next attempt forward to now (skip the back-off)."""
    async with platform.system_session() as session:
        await session.execute(update(Job).values(run_at=utcnow()))
        await session.commit()


async def notification(platform: Platform, force_id: int, notification_id: int) -> Notification:
    """The notification as stored."""
    async with platform.force_session(force_id) as session:
        found = await session.get(Notification, notification_id)
        assert found is not None
        return found


async def history(platform: Platform, force_id: int, notification_id: int) -> list[tuple[str, str]]:
    """The message's status history as (status, detail) pairs."""
    async with platform.force_session(force_id) as session:
        changes = await session.scalars(
            select(NotificationStatusChange)
            .where(NotificationStatusChange.notification_id == notification_id)
            .order_by(NotificationStatusChange.id)
        )
        return [(c.status.value, c.detail) for c in changes]
