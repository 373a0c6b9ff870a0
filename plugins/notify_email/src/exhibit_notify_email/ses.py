"""Email through Amazon SES (API v2), sent as our own raw MIME message.

SES's refusals (an unverified sender, a suppressed address, a rejected message) are
permanent; throttling and service faults are retried.
"""

import asyncio
from typing import Any, ClassVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from exhibit.plugins import DeliveryFailed, OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_email.config import Config, SesSettings
from exhibit_notify_email.rendering import build_email

RETRYABLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalFailure",
    "ServiceUnavailable",
}


class SesEmail:
    """Email through Amazon SES."""

    channel: ClassVar[str] = "email"
    key: ClassVar[str] = "ses"

    def __init__(self, context: ProviderContext) -> None:
        self.config: Config = context.config
        assert self.config.ses is not None
        self.settings: SesSettings = self.config.ses

    async def send(self, message: OutboundMessage) -> SendResult:
        """Send the raw message; SES's MessageId is the reference its events quote."""
        email = build_email(message, self.config)
        return await asyncio.to_thread(self._send, message.recipient, email.as_bytes())

    def _client(self) -> Any:
        settings = self.settings
        secret = settings.secret_access_key.reveal() if settings.secret_access_key else None
        timeout = self.config.timeout_seconds
        return boto3.client(
            "sesv2",
            region_name=settings.region,
            endpoint_url=settings.endpoint_url,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=secret,
            config=BotoConfig(
                connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}
            ),
        )

    def _send(self, recipient: str, raw: bytes) -> SendResult:
        request: dict[str, Any] = {
            "FromEmailAddress": self.config.from_address,
            "Destination": {"ToAddresses": [recipient]},
            "Content": {"Raw": {"Data": raw}},
        }
        if self.settings.configuration_set:
            request["ConfigurationSetName"] = self.settings.configuration_set
        try:
            answer = self._client().send_email(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            retry = code in RETRYABLE_CODES or status >= 500 or status == 429
            reason = f"SES refused the message: {code} {error.get('Message', '')}".strip()
            raise DeliveryFailed(reason[:900], permanent=not retry) from None
        except BotoCoreError as exc:
            reason = f"SES did not answer: {type(exc).__name__}"
            raise DeliveryFailed(reason, permanent=False) from None
        return SendResult(Outcome.SENT, reference=str(answer["MessageId"]))
