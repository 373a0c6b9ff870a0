"""Delivery receipts for email: GOV.UK Notify's callbacks and SES events (through SNS).

``/plugins/notify_email/callbacks/<force>/<provider>``. Notify sends the bearer token the
force configured for its callbacks; SES publishes delivery and bounce events to an SNS
topic whose HTTPS subscription posts here, each message signed by SNS. Anything that fails
the check is answered 401 or 403 and changes nothing. SMTP has no receipts.
"""

import hmac
from typing import Any

import httpx
import msgspec
from litestar import Request, Response, post
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.params import FromPath
from litestar.types import ExceptionHandlersMap

from exhibit.notifications.models import DeliveryStatus
from exhibit.notifications.receipts import (
    NotEnabled,
    UnknownMessage,
    receipt_config,
    record_receipt,
)
from exhibit.notifications.sns_signature import (
    BadSnsSignature,
    check_certificate_url,
    verify_sns_message,
)
from exhibit.platform import Platform
from exhibit_notify_email.certificates import fetch_certificate
from exhibit_notify_email.config import Config

PLUGIN_ID = "notify_email"
AnyRequest = Request[Any, Any, Any]

NOTIFY_STATUSES = {
    "delivered": (DeliveryStatus.DELIVERED, "delivered to the inbox"),
    "permanent-failure": (DeliveryStatus.FAILED_PERMANENTLY, "the address does not exist"),
    "temporary-failure": (
        DeliveryStatus.FAILED_PERMANENTLY,
        "the inbox was full or unavailable; resend later",
    ),
    "technical-failure": (DeliveryStatus.FAILED_PERMANENTLY, "Notify could not send it"),
}


def plain_error(_request: AnyRequest, exc: HTTPException) -> Response[dict[str, Any]]:
    """Providers get the status and a short reason, never the officers' sign-in page."""
    return Response({"detail": exc.detail}, status_code=exc.status_code)


PLAIN_ERRORS: ExceptionHandlersMap = {
    kind: plain_error
    for kind in (
        HTTPException,
        NotAuthorizedException,
        PermissionDeniedException,
        NotFoundException,
        ValidationException,
    )
}


async def _config(request: AnyRequest, force_slug: str) -> tuple[Platform, int, Config]:
    platform: Platform = request.app.state.platform
    try:
        force_id, config = await receipt_config(platform, force_slug, PLUGIN_ID)
    except NotEnabled:
        raise NotFoundException() from None
    return platform, force_id, config


async def _record(
    platform: Platform, force_id: int, key: str, reference: str, status: DeliveryStatus, detail: str
) -> None:
    try:
        await record_receipt(
            platform,
            force_id,
            provider=f"{PLUGIN_ID}:{key}",
            reference=reference,
            status=status,
            detail=detail,
        )
    except UnknownMessage:
        raise NotFoundException("no such message") from None


async def _json(request: AnyRequest) -> dict[str, Any]:
    try:
        return msgspec.json.decode(await request.body(), type=dict[str, Any])
    except msgspec.DecodeError:
        raise ValidationException("the body is not a JSON object") from None


@post("/callbacks/{force_slug:str}/govuk_notify", status_code=204, exception_handlers=PLAIN_ERRORS)
async def notify_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """A GOV.UK Notify delivery receipt, authenticated by the force's bearer token."""
    platform, force_id, config = await _config(request, force_slug)
    settings = config.govuk_notify
    if settings is None or settings.callback_token is None:
        raise NotFoundException()
    given = request.headers.get("authorization", "")
    expected = f"Bearer {settings.callback_token.reveal()}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthorizedException("bad bearer token")
    payload = await _json(request)
    known = NOTIFY_STATUSES.get(str(payload.get("status")))
    if known is None or not isinstance(payload.get("id"), str):
        return
    status, detail = known
    await _record(platform, force_id, "govuk_notify", payload["id"], status, f"Notify: {detail}")


@post("/callbacks/{force_slug:str}/ses", status_code=204, exception_handlers=PLAIN_ERRORS)
async def ses_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """An SES delivery or bounce event delivered by SNS, authenticated by its signature."""
    platform, force_id, config = await _config(request, force_slug)
    settings = config.ses
    if settings is None:
        raise NotFoundException()
    message = await _json(request)
    hosts, allow_http = settings.certificate_hosts, settings.allow_http_certificates
    try:
        await verify_sns_message(message, fetch_certificate, hosts, allow_http=allow_http)
    except BadSnsSignature as exc:
        raise PermissionDeniedException(str(exc)) from None
    if settings.topic_arn is not None and message.get("TopicArn") != settings.topic_arn:
        raise PermissionDeniedException("a message from another topic")
    if message["Type"] == "SubscriptionConfirmation":
        await _confirm_subscription(str(message.get("SubscribeURL")), hosts, allow_http)
        return
    if message["Type"] != "Notification":
        return
    try:
        event = msgspec.json.decode(str(message["Message"]), type=dict[str, Any])
        reference = str(event["mail"]["messageId"])
    except (msgspec.DecodeError, KeyError, TypeError):
        raise ValidationException("the message is not an SES event") from None
    kind = event.get("eventType") or event.get("notificationType")
    if kind == "Delivery":
        await _record(
            platform, force_id, "ses", reference, DeliveryStatus.DELIVERED, "SES: delivered"
        )
    elif kind == "Bounce" and (event.get("bounce") or {}).get("bounceType") == "Permanent":
        sub_type = (event.get("bounce") or {}).get("bounceSubType", "")
        detail = f"SES: the address bounced ({sub_type})"
        await _record(
            platform, force_id, "ses", reference, DeliveryStatus.FAILED_PERMANENTLY, detail
        )


async def _confirm_subscription(url: str, hosts: list[str], allow_http: bool) -> None:
    try:
        check_certificate_url(url, hosts, allow_http=allow_http)
    except BadSnsSignature as exc:
        raise PermissionDeniedException(f"subscription URL refused: {exc}") from None
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.get(url)
    if response.status_code >= 300:
        raise ValidationException("SNS did not accept the confirmation")


ROUTES = [notify_receipt, ses_receipt]
