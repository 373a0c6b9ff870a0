"""The delivery job: hand a queued message to the force's notifier and record what happened."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.db.base import utcnow
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import force_info
from exhibit.jobs.handlers import JobContext
from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange
from exhibit.notifications.notifier import DeliveryFailed, Notifier, OutboundMessage
from exhibit.notifications.routing import notifier_for
from exhibit.notifications.service import unseal
from exhibit.plugins.context import ProviderContext
from exhibit.uploads.models import EvidenceRequest, RequestState

log = logging.getLogger(__name__)

LINK_PURPOSE = "upload_link"
FINAL = {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED_PERMANENTLY}


class TemporaryDeliveryFailure(RuntimeError):
    """The provider failed in a way worth retrying; the job queue retries with back-off."""


async def deliver_notification(job: JobContext) -> None:
    """Send one notification through the force's notifier (safe to run again).

    A permanent failure is recorded and ends the job; a temporary one is recorded and
    raised, so the queue retries it with back-off and finally keeps it as a failed job.
    """
    platform, force_id = job.platform, job.force_id
    if force_id is None:
        raise ValueError("a delivery job must belong to a force")
    notification_id = int(job.payload["notification_id"])
    async with platform.force_session(force_id) as session:
        notification = await session.get(Notification, notification_id)
        if notification is None or notification.status in FINAL:
            return
        force = await force_info(session, force_id)
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
        provided = notifier_for(platform.plugins, enabled, notification.channel)
        notifier: Notifier = provided.provider(
            ProviderContext(
                settings=platform.settings,
                force=force,
                plugin_id=provided.plugin_id,
                config=enabled.get(provided.plugin_id),
            )
        )
        assert notification.recipient_encrypted is not None
        assert notification.body_encrypted is not None
        content = unseal(platform.secret_box, notification.body_encrypted)
        message = OutboundMessage(
            notification_id=notification.id,
            channel=notification.channel,
            recipient=platform.secret_box.decrypt(notification.recipient_encrypted),
            subject=content.subject,
            body=content.body,
            html_body=content.html_body,
            sender_name=force.name,
        )
        notification.provider = f"{provided.plugin_id}:{notifier.key}"
        _set_status(session, notification, DeliveryStatus.SENDING, f"attempt {job.attempt}")
        await session.commit()

        try:
            result = await notifier.send(message)
        except DeliveryFailed as failure:
            status = (
                DeliveryStatus.FAILED_PERMANENTLY
                if failure.permanent
                else DeliveryStatus.FAILED_TEMPORARILY
            )
            _set_status(session, notification, status, failure.reason)
            await session.commit()
            log.warning("notification %s %s: %s", notification.id, status.value, failure.reason)
            if not failure.permanent:
                raise TemporaryDeliveryFailure(failure.reason) from None
            return
        notification.provider_reference = result.reference
        _set_status(session, notification, DeliveryStatus(result.outcome.value), "")
        if notification.request_id is not None and notification.purpose == LINK_PURPOSE:
            await _mark_sent(session, notification.request_id)
        await session.commit()


async def _mark_sent(session: AsyncSession, request_id: int) -> None:
    request = await session.get(EvidenceRequest, request_id)
    if request is not None and request.state == RequestState.CREATED:
        request.state = RequestState.SENT


def _set_status(
    session: AsyncSession, notification: Notification, status: DeliveryStatus, detail: str
) -> None:
    notification.status = status
    session.add(
        NotificationStatusChange(
            force_id=notification.force_id,
            notification_id=notification.id,
            status=status,
            detail=detail[:1000],
            occurred_at=utcnow(),
        )
    )
