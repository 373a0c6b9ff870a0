"""The delivery job: hand a queued message to the force's notifier and record what happened.

A temporary failure is retried with back-off by the job queue. A permanent failure (or a
provider that stays down for ``DOWN_AFTER_ATTEMPTS`` attempts) hands the message to the
force's fallback provider, once, if it listed one; otherwise the message is marked failed
permanently, which the officer sees as an alert on the request. Settings that cannot send
(they no longer load, a notifier cannot be built from them, a secret cannot be read) fail
the message permanently at once: retrying cannot mend them. The recipient and the body
never reach the log.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.plugin_settings import UnknownPlugin, enabled_plugins
from exhibit.forces.transaction import force_info
from exhibit.jobs.handlers import JobContext
from exhibit.log_redaction import redact
from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange
from exhibit.notifications.notifier import DeliveryFailed, Notifier, OutboundMessage, SendResult
from exhibit.notifications.reminders import LINK_PURPOSE, REMINDER_PURPOSE
from exhibit.notifications.routing import NoNotifier, fallback_for, notifier_for
from exhibit.notifications.service import (
    DELIVERY_ATTEMPTS,
    MessageContent,
    enqueue_delivery,
    unseal,
)
from exhibit.notifications.sms_budget import (
    DEFAULT_MAX_SEGMENTS,
    cut_to_essentials,
    fit_to_segments,
    gsm_lookalikes,
)
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig
from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.plugins.manager import Provided
from exhibit.secrets import SecretUnavailable
from exhibit.uploads.contacts import normalise_mobile
from exhibit.uploads.links import hash_token
from exhibit.uploads.models import EvidenceRequest, RequestState

log = logging.getLogger(__name__)

LINK_PURPOSES = (LINK_PURPOSE, REMINDER_PURPOSE)
"""Messages that carry a witness's link: not sent once the link is closed."""
_CLOSED = {
    RequestState.REVOKED: "revoked",
    RequestState.EXPIRED: "expired",
    RequestState.SUBMITTED: "used (the witness has sent their files)",
}
FINAL = {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED_PERMANENTLY}
DOWN_AFTER_ATTEMPTS = 3
"""Temporary failures in a row after which a provider counts as down (fallback takes over)."""
UNUSABLE_SETTINGS = (InvalidPluginConfig, UnknownPlugin, NoNotifier)
"""Why a force's settings may name no provider that can send: no retry mends them."""


class TemporaryDeliveryFailure(RuntimeError):
    """The provider failed in a way worth retrying; the job queue retries with back-off."""


@dataclass(frozen=True)
class Route:
    """The provider a message goes through now, and the fallback still available (if any)."""

    provider: Provided[type]
    fallback: Provided[type] | None
    enabled: Mapping[str, Any]
    """The force's enabled plugins with their configurations."""

    def config(self) -> Any:
        """The configuration of the plugin whose provider the message goes through now."""
        return self.enabled.get(self.provider.plugin_id)


async def deliver_notification(job: JobContext) -> None:
    """Send one notification through the force's notifier (safe to run again).

    A permanent failure is recorded (and handed to the fallback provider once) and ends the
    job; a temporary one is recorded and raised, so the queue retries it with back-off.
    """
    platform, force_id = job.platform, job.force_id
    if force_id is None:
        raise ValueError("a delivery job must belong to a force")
    notification_id = int(job.payload["notification_id"])
    async with platform.force_session(force_id) as session:
        notification = await session.get(Notification, notification_id)
        if notification is None or notification.status in FINAL:
            return
        if notification.recipient_encrypted is None or notification.body_encrypted is None:
            set_status(session, notification, DeliveryStatus.FAILED_PERMANENTLY, "purged")
            await session.commit()
            return
        content = unseal(platform.secret_box, notification.body_encrypted)
        closed = await _link_closed(session, notification, content)
        if closed:
            # A link revoked, expired or used while its message waited (retries last hours).
            reason = f"not sent: the link was {closed} before the message could go"
            set_status(session, notification, DeliveryStatus.FAILED_PERMANENTLY, reason)
            await session.commit()
            return
        force = await force_info(session, force_id)
        try:
            route = await route_for(session, platform, notification)
        except UNUSABLE_SETTINGS as exc:
            # Settings that cannot be loaded stay so until an administrator changes them.
            reason = f"the force's notifier settings cannot be used: {exc}"
            await fail_permanently(session, notification, None, reason)
            await session.commit()
            return
        notification.provider = f"{route.provider.plugin_id}:{_key(route.provider)}"
        try:
            notifier = _build(platform, force, route)
        except Exception as exc:
            await _failed(session, platform, notification, route, _unbuilt(exc), job.attempt)
            return
        officer_words = await _officer_words(session, notification)
        message = _message(platform, force, notification, content, officer_words, route)
        set_status(session, notification, DeliveryStatus.SENDING, f"attempt {job.attempt}")
        await session.commit()

        try:
            result = await _send(notifier, message)
        except DeliveryFailed as failure:
            await _failed(session, platform, notification, route, failure, job.attempt)
            return
        notification.provider_reference = result.reference
        set_status(session, notification, DeliveryStatus(result.outcome.value), "")
        if notification.request_id is not None and notification.purpose == LINK_PURPOSE:
            await _mark_sent(session, notification.request_id)
        await session.commit()


async def route_for(session: AsyncSession, platform: Platform, notification: Notification) -> Route:
    """The provider ``notification`` goes through now: the force's own, or its fallback."""
    enabled = await enabled_plugins(
        session, platform.plugins, platform.secret_box, notification.force_id
    )
    primary = notifier_for(platform.plugins, enabled, notification.channel)
    fallback = fallback_for(platform.plugins, enabled, notification.channel, primary)
    if notification.used_fallback and fallback is not None:
        return Route(provider=fallback, fallback=None, enabled=enabled)
    return Route(
        provider=primary,
        fallback=None if notification.used_fallback else fallback,
        enabled=enabled,
    )


async def fail_permanently(
    session: AsyncSession,
    notification: Notification,
    fallback: Provided[type] | None,
    reason: str,
) -> None:
    """Record a permanent failure: hand the message to ``fallback`` (once) or alert the officer.

    Used by the delivery job and by delivery receipts. Not committed here.
    """
    set_status(session, notification, DeliveryStatus.FAILED_PERMANENTLY, reason)
    if fallback is not None and not notification.used_fallback:
        notification.used_fallback = True
        set_status(
            session,
            notification,
            DeliveryStatus.QUEUED,
            f"handed to fallback provider {fallback.plugin_id}",
        )
        await enqueue_delivery(session, notification)
        action, details = "notification.fallback", {"fallback": fallback.plugin_id}
    else:
        action, details = "notification.failed", {}
    await audit.record(
        session,
        notification.force_id,
        actor="system",
        action=action,
        object_type="notification",
        object_id=notification.id,
        reason=reason[:500],
        details={"request_id": notification.request_id, "channel": notification.channel, **details},
    )


def set_status(
    session: AsyncSession, notification: Notification, status: DeliveryStatus, detail: str
) -> None:
    """Move ``notification`` to ``status`` and add the step to its history.

    ``detail`` comes from a provider and may echo the message: any link in it is redacted.
    """
    detail = redact(detail)
    notification.status = status
    notification.status_detail = detail[:1000]
    session.add(
        NotificationStatusChange(
            force_id=notification.force_id,
            notification_id=notification.id,
            status=status,
            detail=detail[:1000],
            occurred_at=utcnow(),
        )
    )


async def _failed(
    session: AsyncSession,
    platform: Platform,
    notification: Notification,
    route: Route,
    failure: DeliveryFailed,
    attempt: int,
) -> None:
    log.warning(
        "notification %s via %s failed (%s): %s",
        notification.id,
        notification.provider,
        "permanent" if failure.permanent else "temporary",
        redact(failure.reason),
    )
    down = not failure.permanent and attempt >= DOWN_AFTER_ATTEMPTS and route.fallback is not None
    out_of_attempts = not failure.permanent and attempt >= DELIVERY_ATTEMPTS
    if failure.permanent or down or out_of_attempts:
        reason = failure.reason
        if not failure.permanent:
            reason = f"no success after {attempt} attempts: {failure.reason}"
        await fail_permanently(session, notification, route.fallback, reason)
        await session.commit()
        return
    set_status(session, notification, DeliveryStatus.FAILED_TEMPORARILY, failure.reason)
    await session.commit()
    raise TemporaryDeliveryFailure(failure.reason)


async def _send(notifier: Notifier, message: OutboundMessage) -> SendResult:
    """Send through ``notifier``; every failure comes out as ``DeliveryFailed``."""
    try:
        return await notifier.send(message)
    except DeliveryFailed as failure:
        reason = _scrub(failure.reason, message)
        raise DeliveryFailed(reason, permanent=failure.permanent) from None
    except SecretUnavailable as exc:  # an unset variable or a key that cannot decrypt
        raise DeliveryFailed(f"a secret in the force's settings: {exc}", permanent=True) from None
    except Exception as exc:  # a provider's bug or network fault: worth retrying
        reason = f"provider error: {type(exc).__name__}"
        raise DeliveryFailed(reason, permanent=False) from None


def _unbuilt(error: Exception) -> DeliveryFailed:
    """A notifier that cannot be built from the force's settings: permanent, as they are.

    A constructor's own ``DeliveryFailed`` is kept; of anything else only the kind is
    recorded, as its text may quote the settings.
    """
    if isinstance(error, DeliveryFailed):
        return error
    reason = f"the provider cannot be set up from the force's settings: {type(error).__name__}"
    return DeliveryFailed(reason, permanent=True)


def _key(provided: Provided[type]) -> str:
    key: str = getattr(provided.provider, "key", "?")
    return key


def _build(platform: Platform, force: ForceInfo, route: Route) -> Notifier:
    notifier: Notifier = route.provider.provider(
        ProviderContext(
            settings=platform.settings,
            force=force,
            plugin_id=route.provider.plugin_id,
            config=route.config(),
        )
    )
    return notifier


def _message(
    platform: Platform,
    force: ForceInfo,
    notification: Notification,
    content: MessageContent,
    officer_words: str,
    route: Route,
) -> OutboundMessage:
    assert notification.recipient_encrypted is not None
    body = content.body
    if notification.channel == "sms":
        budget = getattr(route.config(), "max_segments", DEFAULT_MAX_SEGMENTS)
        # A provider may take fewer segments than a force allows (GOV.UK Notify: 6).
        budget = min(budget, getattr(route.provider.provider, "max_segments", budget))
        keep = [gsm_lookalikes(k) for k in (force.name, content.link or "", *content.essentials)]
        fit = cut_to_essentials if content.essentials else fit_to_segments
        whole, words = gsm_lookalikes(body), gsm_lookalikes(officer_words)
        body = fit(whole, keep, budget, free_text=words)
        if body != whole and content.when_cut:
            # Say where the rest is, kept whole, at the cost of more of the rest.
            note = gsm_lookalikes(content.when_cut)
            body = fit(f"{whole}\n{note}", [*keep, note], budget, free_text=words)
    return OutboundMessage(
        notification_id=notification.id,
        channel=notification.channel,
        recipient=platform.secret_box.decrypt(notification.recipient_encrypted),
        subject=content.subject,
        body=body,
        html_body=content.html_body,
        sender_name=force.name,
        link=content.link,
        purpose=notification.purpose,
        languages=content.languages,
        force_slug=force.slug,
    )


def _scrub(reason: str, message: OutboundMessage) -> str:
    """A provider's reason without the recipient (providers like to quote the number)."""
    for form in {message.recipient, message.recipient.replace(" ", ""), _e164(message)}:
        if form:
            reason = reason.replace(form, "[recipient]")
    return reason


def _e164(message: OutboundMessage) -> str:
    if message.channel != "sms":
        return ""
    try:
        return normalise_mobile(message.recipient)
    except ValueError:
        return ""


async def _link_closed(
    session: AsyncSession, notification: Notification, content: MessageContent
) -> str:
    """Why a message carrying a link should no longer go (its link is closed), or "".

    A link replaced by a newer one (the officer resent the request while this message
    waited out a provider's outage) no longer opens anything: sending it late would leave
    the witness with a dead link, perhaps after the working one.
    """
    if notification.request_id is None or notification.purpose not in LINK_PURPOSES:
        return ""
    request = await session.get(EvidenceRequest, notification.request_id)
    if request is None:
        return "withdrawn"
    if request.state in _CLOSED:
        return _CLOSED[request.state]
    if request.expires_at <= utcnow():
        return "expired"
    _, found, token = (content.link or "").rpartition("/u/")  # link_url's form
    if found and token and hash_token(token) != request.token_hash:
        return "replaced by a newer one (the request was resent)"
    return ""


async def _officer_words(session: AsyncSession, notification: Notification) -> str:
    """The officer's own words in the request's link message (cut first when too long)."""
    if notification.request_id is None or notification.purpose != LINK_PURPOSE:
        return ""
    request = await session.get(EvidenceRequest, notification.request_id)
    return request.message if request is not None else ""


async def _mark_sent(session: AsyncSession, request_id: int) -> None:
    request = await session.get(EvidenceRequest, request_id)
    if request is not None and request.state == RequestState.CREATED:
        request.state = RequestState.SENT
