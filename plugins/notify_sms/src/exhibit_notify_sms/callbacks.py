"""Delivery receipts from the SMS providers, one route per provider and force.

``/plugins/notify_sms/callbacks/<force>/<provider>``. Each route authenticates the caller
as its provider documents before anything changes: GOV.UK Notify sends the bearer token
the force configured for its callbacks, Twilio signs the request (``X-Twilio-Signature``),
SNS signs each message with a certificate from a trusted host. A request that fails the
check is answered 401 or 403 and changes nothing.
"""

import hmac
from typing import Any

import msgspec
from litestar import post
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.params import FromPath

from exhibit.notifications.callback_routes import (
    PLAIN_ERRORS,
    AnyRequest,
    json_body,
    receipt_force,
    require_bearer_token,
    verified_sns_notification,
)
from exhibit.notifications.models import DeliveryStatus
from exhibit_notify_sms.config import Config
from exhibit_notify_sms.twilio import twilio_signature

PLUGIN_ID = "notify_sms"

NOTIFY_STATUSES = {
    "delivered": (DeliveryStatus.DELIVERED, "delivered to the phone"),
    "sent": (DeliveryStatus.SENT, "sent to an international network"),
    "permanent-failure": (DeliveryStatus.FAILED_PERMANENTLY, "the number does not exist"),
    "temporary-failure": (
        DeliveryStatus.FAILED_PERMANENTLY,
        "the phone was off or out of signal; resend later",
    ),
    "technical-failure": (DeliveryStatus.FAILED_PERMANENTLY, "Notify could not send it"),
}
TWILIO_STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED_PERMANENTLY,
    "failed": DeliveryStatus.FAILED_PERMANENTLY,
}


@post("/callbacks/{force_slug:str}/govuk_notify", status_code=204, exception_handlers=PLAIN_ERRORS)
async def notify_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """A GOV.UK Notify delivery receipt, authenticated by the force's bearer token."""
    force = await receipt_force(request, force_slug, PLUGIN_ID, Config)
    settings = force.config.govuk_notify
    if settings is None or settings.callback_token is None:
        raise NotFoundException()
    require_bearer_token(request, settings.callback_token)
    payload = await json_body(request)
    known = NOTIFY_STATUSES.get(str(payload.get("status")))
    if known is None or not isinstance(payload.get("id"), str):
        return  # an interim status (created, sending): nothing to record
    status, detail = known
    await force.record("govuk_notify", payload["id"], status, f"Notify: {detail}")


@post("/callbacks/{force_slug:str}/twilio", status_code=204, exception_handlers=PLAIN_ERRORS)
async def twilio_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """A Twilio status callback, authenticated by its ``X-Twilio-Signature``."""
    force = await receipt_force(request, force_slug, PLUGIN_ID, Config)
    settings = force.config.twilio
    if settings is None:
        raise NotFoundException()
    form = await request.form()
    params = {name: str(form.get(name)) for name in form}
    url = force.platform.settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    expected = twilio_signature(settings.auth_token.reveal(), url, params)
    given = request.headers.get("x-twilio-signature", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDeniedException("bad request signature")
    if params.get("AccountSid") != settings.account_sid:
        raise PermissionDeniedException("another account's message")
    status = TWILIO_STATUSES.get(params.get("MessageStatus", ""))
    if status is None or not params.get("MessageSid"):
        return
    detail = f"Twilio: {params['MessageStatus']}"
    if params.get("ErrorCode"):
        detail += f" (error {params['ErrorCode']})"
    await force.record("twilio", params["MessageSid"], status, detail)


@post("/callbacks/{force_slug:str}/sns", status_code=204, exception_handlers=PLAIN_ERRORS)
async def sns_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """An SNS message carrying SMS delivery status, authenticated by its signature.

    A subscription confirmation for the configured topic is confirmed (the confirmation
    URL is on a trusted host too).
    """
    force = await receipt_force(request, force_slug, PLUGIN_ID, Config)
    if force.config.sns is None:
        raise NotFoundException()
    message = await verified_sns_notification(request, force.config.sns)
    if message is None:
        return
    try:
        status_report = msgspec.json.decode(str(message["Message"]), type=dict[str, Any])
        reference = str(status_report["notification"]["messageId"])
    except (msgspec.DecodeError, KeyError, TypeError):
        raise ValidationException("the message is not an SMS delivery status") from None
    delivery = status_report.get("delivery") or {}
    detail = f"SNS: {delivery.get('providerResponse', status_report.get('status', ''))}"
    if status_report.get("status") == "SUCCESS":
        status = DeliveryStatus.DELIVERED
    elif status_report.get("status") == "FAILURE":
        status = DeliveryStatus.FAILED_PERMANENTLY
    else:
        return
    await force.record("sns", reference, status, detail)


ROUTES = [notify_receipt, twilio_receipt, sns_receipt]
