"""Amazon SNS text messages (``Publish`` to a phone number) through boto3.

The force's sender id goes as ``AWS.SNS.SMS.SenderID`` and every message is
``Transactional`` (SNS's class for messages that matter, such as one-time links).
"""

import asyncio
from typing import Any, ClassVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from exhibit.plugins import DeliveryFailed, OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_sms.config import Config, SnsSettings
from exhibit_notify_sms.numbers import e164

RETRYABLE_CODES = {"Throttling", "ThrottlingException", "InternalError", "InternalFailure"}


def sns_client(settings: SnsSettings, timeout: float) -> Any:
    """A boto3 SNS client for ``settings`` (the default credential chain if none given)."""
    secret = settings.secret_access_key.reveal() if settings.secret_access_key else None
    return boto3.client(
        "sns",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=secret,
        config=BotoConfig(
            connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}
        ),
    )


class SnsSms:
    """Text messages through Amazon SNS."""

    channel: ClassVar[str] = "sms"
    key: ClassVar[str] = "sns"

    def __init__(self, context: ProviderContext) -> None:
        config: Config = context.config
        assert config.sns is not None
        self.settings: SnsSettings = config.sns
        self.sender_id = config.sender_id
        self.timeout = config.timeout_seconds

    async def send(self, message: OutboundMessage) -> SendResult:
        """Publish the text; a refusal by SNS is permanent, throttling and faults retried."""
        number = e164(message.recipient)
        return await asyncio.to_thread(self._send, number, message.body)

    def _send(self, number: str, body: str) -> SendResult:
        client = sns_client(self.settings, self.timeout)
        try:
            answer = client.publish(
                PhoneNumber=number,
                Message=body,
                MessageAttributes={
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self.sender_id},
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            retry = code in RETRYABLE_CODES or status >= 500 or status == 429
            reason = f"SNS refused the message: {code} {error.get('Message', '')}".strip()
            raise DeliveryFailed(reason[:900], permanent=not retry) from None
        except BotoCoreError as exc:
            reason = f"SNS did not answer: {type(exc).__name__}"
            raise DeliveryFailed(reason, permanent=False) from None
        return SendResult(Outcome.SENT, reference=str(answer["MessageId"]))
