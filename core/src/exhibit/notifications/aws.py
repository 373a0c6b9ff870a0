"""Amazon Web Services for notifier plugins: settings, a client, and what its errors mean.

A notifier that sends through AWS (SNS text messages, SES email) configures the account
with ``AwsSettings`` (or ``SnsReceiptSettings`` when delivery events reach Exhibit as SNS
messages), builds its client with ``aws_client`` and makes each request through
``aws_request``, which turns AWS's refusals and silences into ``DeliveryFailed``.

boto3 is imported when a client is built, not when the plugin loads: every Exhibit process
loads every installed plugin at start-up, and boto3 alone costs some 30 MiB. The plugin
that calls these depends on boto3; the core does not.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec

from exhibit.notifications.notifier import DeliveryFailed
from exhibit.notifications.provider_http import REASON_LIMIT, no_answer
from exhibit.secrets import Secret

T = TypeVar("T")

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)
"""AWS error codes that mean "try again later" (throttling, a fault on AWS's side)."""


class AwsSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where and as whom to call AWS: the machine's own credentials when keys are left out."""

    region: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: Secret | None = None
    endpoint_url: str | None = None


class SnsReceiptSettings(AwsSettings, forbid_unknown_fields=True, kw_only=True):
    """AWS settings for a service whose delivery events arrive as SNS messages.

    Only certificates from ``certificate_hosts`` are trusted to sign them, and only
    messages of ``topic_arn`` are accepted: without it no delivery event is.
    """

    topic_arn: str | None = None
    certificate_hosts: list[str] = msgspec.field(
        default_factory=lambda: ["sns.eu-west-2.amazonaws.com"]
    )
    allow_http_certificates: bool = False
    """Only for a test peer on the same machine; AWS serves certificates over HTTPS."""


def aws_client(service: str, settings: AwsSettings, timeout: float) -> Any:
    """A boto3 client for ``service`` (``"sns"``, ``"sesv2"``): one attempt, ``timeout`` each.

    Retries are the job queue's, with back-off, not boto3's.
    """
    import boto3  # lazy, as the module's docstring says
    from botocore.config import Config

    new_client: Callable[..., Any] = boto3.client  # its type hints want a literal service name
    secret = settings.secret_access_key.reveal() if settings.secret_access_key else None
    return new_client(
        service,
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=secret,
        config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}),
    )


def aws_request(service: str, operation: Callable[..., T], /, **params: Any) -> T:
    """Call ``operation(**params)`` (one boto3 request); AWS's refusals become ``DeliveryFailed``.

    ``service`` names AWS's service in the reason (``"SNS"``). A refusal is permanent
    unless its code is one of ``RETRYABLE_CODES`` or AWS answered 429 or 5xx; no answer
    (a timeout, a refused connection) is retried.
    """
    from botocore.exceptions import BotoCoreError, ClientError  # lazy

    try:
        return operation(**params)
    except ClientError as exc:
        raise aws_refusal(service, exc.response) from None
    except BotoCoreError as exc:
        raise no_answer(service, exc) from None


def aws_refusal(service: str, response: Mapping[str, Any]) -> DeliveryFailed:
    """The failure for AWS's error ``response`` (a ``ClientError``'s ``response``)."""
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    retry = code in RETRYABLE_CODES or status >= 500 or status == 429
    reason = f"{service} refused the message: {code} {error.get('Message', '')}".strip()
    return DeliveryFailed(reason[:REASON_LIMIT], permanent=not retry)


CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
"""AWS error codes that mean the access key or secret was refused."""


def aws_problem(service: str, settings: AwsSettings, exc: BaseException, permissions: str) -> str:
    """AWS's refusal (or silence) of a settings check's read, as what to change.

    ``permissions`` names what the check needed (``"ses:GetEmailIdentity"``), for an answer
    that the credentials are valid but not allowed.
    """
    from botocore.exceptions import ClientError, NoCredentialsError

    where = settings.endpoint_url or f"region {settings.region}"
    if isinstance(exc, NoCredentialsError):
        return (
            f"{service}: no AWS credentials on this server: give access_key_id and "
            "secret_access_key, or give the server a role"
        )
    if not isinstance(exc, ClientError):
        return (
            f"{service} did not answer at {where} ({type(exc).__name__}): check region and "
            "endpoint_url, and that this server may reach AWS"
        )
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in CREDENTIAL_CODES or (code in ("", "403") and status == 403):
        return (
            f"{service} refused the credentials (HTTP {status} {code}): check access_key_id "
            "and secret_access_key"
        )
    if "AccessDenied" in code or code == "AuthorizationError":
        return (
            f"{service} says the credentials may not do what the check asked ({code}): "
            f"allow {permissions}"
        )
    return f"{service} at {where} answered {code or 'an error'} (HTTP {status})"
