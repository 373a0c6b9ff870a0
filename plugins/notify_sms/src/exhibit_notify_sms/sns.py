"""Amazon SNS text messages (``Publish`` to a phone number) through boto3.

The force's sender id goes as ``AWS.SNS.SMS.SenderID`` and every message is
``Transactional`` (SNS's class for messages that matter, such as one-time links).
"""

import asyncio
from typing import ClassVar

from exhibit.notifications.aws import aws_client, aws_request
from exhibit.plugins import OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_sms.config import Config, SnsSettings
from exhibit_notify_sms.numbers import e164


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
        client = aws_client("sns", self.settings, self.timeout)
        answer = aws_request(
            "SNS",
            client.publish,
            PhoneNumber=number,
            Message=body,
            MessageAttributes={
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self.sender_id},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
        return SendResult(Outcome.SENT, reference=str(answer["MessageId"]))
