"""Delivery receipts from the SMS providers, one route per provider and force.

``/plugins/notify_sms/callbacks/<force>/<provider>``. Each route authenticates the caller
as its provider documents before anything changes: GOV.UK Notify sends the bearer token
the force configured for its callbacks, Twilio signs the request (``X-Twilio-Signature``),
SNS signs each message with a certificate from a trusted host. A request that fails the
check is answered 401 or 403 and changes nothing.
"""

import hmac
from typing import Any

import httpx
import msgspec
from litestar import Request, Response, post
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import HTTPException
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
from exhibit_notify_sms.certificates import fetch_certificate
from exhibit_notify_sms.config import Config
from exhibit_notify_sms.twilio import twilio_signature

PLUGIN_ID = "notify_sms"
AnyRequest = Request[Any, Any, Any]


def plain_error(_request: AnyRequest, exc: HTTPException) -> Response[dict[str, Any]]:
    """Providers get the status and a short reason, never the officers' sign-in page."""
    return Response({"detail": exc.detail}, status_code=exc.status_code)


# Handler-level, so that the app's page-for-people handlers do not apply to providers.
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


async def _config(request: AnyRequest, force_slug: FromPath[str]) -> tuple[Platform, int, Config]:
    platform: Platform = request.app.state.platform
    try:
        force_id, config = await receipt_config(platform, force_slug, PLUGIN_ID)
    except NotEnabled:
        raise NotFoundException() from None
    return platform, force_id, config


async def _record(
    platform: Platform,
    force_id: int,
    key: str,
    reference: str,
    status: DeliveryStatus,
    detail: str,
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
    try:
        payload = msgspec.json.decode(await request.body(), type=dict[str, Any])
    except msgspec.DecodeError:
        raise ValidationException("the body is not JSON") from None
    known = NOTIFY_STATUSES.get(str(payload.get("status")))
    if known is None or not isinstance(payload.get("id"), str):
        return  # an interim status (created, sending): nothing to record
    status, detail = known
    await _record(platform, force_id, "govuk_notify", payload["id"], status, f"Notify: {detail}")


@post("/callbacks/{force_slug:str}/twilio", status_code=204, exception_handlers=PLAIN_ERRORS)
async def twilio_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """A Twilio status callback, authenticated by its ``X-Twilio-Signature``."""
    platform, force_id, config = await _config(request, force_slug)
    settings = config.twilio
    if settings is None:
        raise NotFoundException()
    form = await request.form()
    params = {name: str(form.get(name)) for name in form}
    url = platform.settings.public_url.rstrip("/") + request.url.path
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
    await _record(platform, force_id, "twilio", params["MessageSid"], status, detail)


@post("/callbacks/{force_slug:str}/sns", status_code=204, exception_handlers=PLAIN_ERRORS)
async def sns_receipt(request: AnyRequest, force_slug: FromPath[str]) -> None:
    """An SNS message carrying SMS delivery status, authenticated by its signature.

    A subscription confirmation for the configured topic is confirmed (the confirmation
    URL is on a trusted host too).
    """
    platform, force_id, config = await _config(request, force_slug)
    settings = config.sns
    if settings is None:
        raise NotFoundException()
    try:
        message = msgspec.json.decode(await request.body(), type=dict[str, Any])
    except msgspec.DecodeError:
        raise ValidationException("the body is not JSON") from None
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
    await _record(platform, force_id, "sns", reference, status, detail)


async def _confirm_subscription(url: str, hosts: list[str], allow_http: bool) -> None:
    try:
        check_certificate_url(url, hosts, allow_http=allow_http)
    except BadSnsSignature as exc:
        raise PermissionDeniedException(f"subscription URL refused: {exc}") from None
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.get(url)
    if response.status_code >= 300:
        raise ValidationException("SNS did not accept the confirmation")


ROUTES = [notify_receipt, twilio_receipt, sns_receipt]
