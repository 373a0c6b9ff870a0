"""Building blocks of a delivery-receipt route under ``/plugins/<id>/callbacks/``.

A provider posting a receipt is a machine, not a person: give the route
``exception_handlers=PLAIN_ERRORS`` so that it answers a plain status and a short reason,
never the officers' sign-in page. The route then

1. finds the force and its configuration of the plugin: ``receipt_force`` (404 unless the
   force has enabled the plugin);
2. authenticates the provider as the provider documents, before anything changes:
   ``require_bearer_token`` (401), ``verified_sns_notification`` for messages signed by
   Amazon SNS (403), or the provider's own signature check;
3. records what the receipt says: ``ReceiptForce.record`` (404 for a message the force
   never sent through that provider).

``notify_sms`` and ``notify_email`` are worked examples.
"""

import hmac
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.types import ExceptionHandlersMap

from exhibit.notifications.aws import SnsReceiptSettings
from exhibit.notifications.models import DeliveryStatus
from exhibit.notifications.receipts import (
    NotEnabled,
    UnknownMessage,
    receipt_config,
    record_receipt,
)
from exhibit.notifications.sns_certificates import TIMEOUT_SECONDS, fetch_certificate
from exhibit.notifications.sns_signature import (
    BadSnsSignature,
    check_certificate_url,
    verify_sns_message,
)
from exhibit.platform import Platform
from exhibit.secrets import Secret

AnyRequest = Request[Any, Any, Any]
ConfigT = TypeVar("ConfigT")


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
"""Handler-level exception handlers for receipt routes (the app's are for people)."""


@dataclass(frozen=True)
class ReceiptForce(Generic[ConfigT]):
    """The force a receipt route was called for, with its configuration of the plugin."""

    platform: Platform
    force_id: int
    plugin_id: str
    config: ConfigT

    async def record(
        self, provider_key: str, reference: str, status: DeliveryStatus, detail: str
    ) -> None:
        """Apply a receipt from the plugin's provider ``provider_key`` (see ``record_receipt``).

        A reference the force never had from that provider is 404.
        """
        try:
            await record_receipt(
                self.platform,
                self.force_id,
                provider=f"{self.plugin_id}:{provider_key}",
                reference=reference,
                status=status,
                detail=detail,
            )
        except UnknownMessage:
            raise NotFoundException("no such message") from None


async def receipt_force(
    request: AnyRequest, force_slug: str, plugin_id: str, config_type: type[ConfigT]
) -> ReceiptForce[ConfigT]:
    """The force named ``force_slug`` with its ``config_type`` configuration of ``plugin_id``.

    404 when there is no such force or it has not enabled the plugin.
    """
    platform: Platform = request.app.state.platform
    try:
        force_id, config = await receipt_config(platform, force_slug, plugin_id)
    except NotEnabled:
        raise NotFoundException() from None
    if not isinstance(config, config_type):
        raise TypeError(f"{plugin_id}'s configuration is not a {config_type.__name__}")
    return ReceiptForce(platform, force_id, plugin_id, config)


def require_bearer_token(request: AnyRequest, token: Secret) -> None:
    """401 unless the request's ``Authorization`` is ``Bearer <token>`` (constant-time check)."""
    given = request.headers.get("authorization", "")
    expected = f"Bearer {token.reveal()}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthorizedException("bad bearer token")


async def json_body(request: AnyRequest) -> dict[str, Any]:
    """The request's body as a JSON object; 400 when it is not one."""
    try:
        return msgspec.json.decode(await request.body(), type=dict[str, Any])
    except msgspec.DecodeError:
        raise ValidationException("the body is not a JSON object") from None


async def verified_sns_notification(
    request: AnyRequest, settings: SnsReceiptSettings
) -> dict[str, Any] | None:
    """The SNS ``Notification`` posted to the route, once its signature and topic are checked.

    403 for a message not signed by SNS with a certificate from ``certificate_hosts``, or
    from another topic than ``topic_arn`` (and for every message when none is configured).
    A subscription confirmation is confirmed here (its URL must be on a trusted host too);
    it and any other message type give None.
    """
    message = await json_body(request)
    hosts, allow_http = settings.certificate_hosts, settings.allow_http_certificates
    try:
        await verify_sns_message(message, fetch_certificate, hosts, allow_http=allow_http)
    except BadSnsSignature as exc:
        raise PermissionDeniedException(str(exc)) from None
    # Anyone can sign SNS messages from a topic of their own: only the configured one counts.
    if settings.topic_arn is None:
        raise PermissionDeniedException("no receipt topic is configured (topic_arn)")
    if message.get("TopicArn") != settings.topic_arn:
        raise PermissionDeniedException("a message from another topic")
    if message["Type"] == "SubscriptionConfirmation":
        await _confirm_subscription(str(message.get("SubscribeURL")), hosts, allow_http)
        return None
    if message["Type"] != "Notification":
        return None
    return message


async def _confirm_subscription(url: str, hosts: list[str], allow_http: bool) -> None:
    try:
        check_certificate_url(url, hosts, allow_http=allow_http)
    except BadSnsSignature as exc:
        raise PermissionDeniedException(f"subscription URL refused: {exc}") from None
    import httpx  # loaded on first use: most processes never need it

    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        raise ValidationException("the subscription URL did not answer") from None
    if response.status_code >= 300:
        raise ValidationException("SNS did not accept the confirmation")
