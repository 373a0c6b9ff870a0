"""Delivery receipts: a provider reports what became of a message it took.

A plugin's callback route authenticates the provider first (as the provider documents),
then calls ``record_receipt`` with the provider's own reference for the message. The
status only moves forward: a late "sent" never overwrites "delivered", and nothing changes
a message that already failed permanently. A permanent failure hands the message to the
force's fallback provider once, exactly as a refusal at sending time does.
"""

from typing import Any

from sqlalchemy import select

from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.notifications.delivery import fail_permanently, route_for, set_status
from exhibit.notifications.models import DeliveryStatus, Notification
from exhibit.platform import Platform

_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.FAILED_TEMPORARILY: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.FAILED_PERMANENTLY: 4,
}


class UnknownMessage(LookupError):
    """No message of this force went through this provider with that reference."""


async def record_receipt(
    platform: Platform,
    force_id: int,
    *,
    provider: str,
    reference: str,
    status: DeliveryStatus,
    detail: str = "",
) -> bool:
    """Apply a provider's receipt to the force's message; True if the status changed.

    ``provider`` is the notifier as recorded on the message (``"<plugin id>:<key>"``).
    Raises ``UnknownMessage`` when no such message exists in this force.
    """
    async with platform.force_session(force_id) as session:
        notification = await session.scalar(
            select(Notification)
            .where(Notification.provider == provider, Notification.provider_reference == reference)
            .with_for_update()
        )
        if notification is None:
            raise UnknownMessage(f"no message {reference!r} from {provider}")
        if _RANK[status] <= _RANK[notification.status] or notification.status in (
            DeliveryStatus.DELIVERED,
            DeliveryStatus.FAILED_PERMANENTLY,
        ):
            return False
        if status == DeliveryStatus.FAILED_PERMANENTLY:
            route = await route_for(session, platform, notification)
            await fail_permanently(session, notification, route.fallback, detail or "undelivered")
        else:
            set_status(session, notification, status, detail or f"receipt from {provider}")
        await session.commit()
        return True


class NotEnabled(LookupError):
    """No such force, or it has not enabled the plugin."""


async def receipt_config(platform: Platform, force_slug: str, plugin_id: str) -> tuple[int, Any]:
    """The force's id and its configuration of ``plugin_id``, for checking a receipt.

    Raises ``NotEnabled`` when the force does not exist or has not enabled the plugin.
    """
    async with platform.system_session() as session:
        force_id = await session.scalar(select(Force.id).where(Force.slug == force_slug))
    if force_id is None:
        raise NotEnabled(f"no force {force_slug!r}")
    async with platform.force_session(force_id) as session:
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
    if plugin_id not in enabled:
        raise NotEnabled(f"force {force_slug!r} has not enabled {plugin_id}")
    return force_id, enabled[plugin_id]
