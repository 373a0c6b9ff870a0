"""Delivery receipts for email: GOV.UK Notify's callbacks and SES events (through SNS).

``/plugins/notify_email/callbacks/<force>/<provider>``. Notify sends the bearer token the
force configured for its callbacks; SES publishes delivery and bounce events to an SNS
topic whose HTTPS subscription posts here, each message signed by SNS. Anything that fails
the check is answered 401 or 403 and changes nothing. SMTP has no receipts.
"""

from typing import Any

import msgspec
from litestar import post
from litestar.exceptions import NotFoundException, ValidationException
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
from exhibit_notify_email.config import Config

PLUGIN_ID = "notify_email"

NOTIFY_STATUSES = {
    "delivered": (DeliveryStatus.DELIVERED, "delivered to the inbox"),
    "permanent-failure": (DeliveryStatus.FAILED_PERMANENTLY, "the address does not exist"),
    "temporary-failure": (
        DeliveryStatus.FAILED_PERMANENTLY,
        "the inbox was full or unavailable; resend later",
    ),
    "technical-failure": (DeliveryStatus.FAILED_PERMANENTLY, "Notify could not send it"),
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
        return
    status, detail = known
    await force.record("govuk_notify", payload["id"], status, f"Notify: {detail}")


@post("/callbacks/{force_slug:str}/ses", status_code=204, exception_handlers=PLAIN_ERRORS)
async def ses_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """An SES delivery or bounce event delivered by SNS, authenticated by its signature."""
    force = await receipt_force(request, force_slug, PLUGIN_ID, Config)
    if force.config.ses is None:
        raise NotFoundException()
    message = await verified_sns_notification(request, force.config.ses)
    if message is None:
        return
    try:
        event = msgspec.json.decode(str(message["Message"]), type=dict[str, Any])
        reference = str(event["mail"]["messageId"])
    except (msgspec.DecodeError, KeyError, TypeError):
        raise ValidationException("the message is not an SES event") from None
    kind = event.get("eventType") or event.get("notificationType")
    if kind == "Delivery":
        await force.record("ses", reference, DeliveryStatus.DELIVERED, "SES: delivered")
    elif kind == "Bounce" and (event.get("bounce") or {}).get("bounceType") == "Permanent":
        sub_type = (event.get("bounce") or {}).get("bounceSubType", "")
        detail = f"SES: the address bounced ({sub_type})"
        await force.record("ses", reference, DeliveryStatus.FAILED_PERMANENTLY, detail)


ROUTES = [notify_receipt, ses_receipt]
