"""Email through Amazon SES (API v2), sent as our own raw MIME message.

SES's refusals (an unverified sender, a suppressed address, a rejected message) are
permanent; throttling and service faults are retried.
"""

import asyncio
from typing import Any, ClassVar

from exhibit.notifications.aws import aws_client, aws_request
from exhibit.plugins import OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_email.config import Config, SesSettings
from exhibit_notify_email.rendering import build_email


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

    def _send(self, recipient: str, raw: bytes) -> SendResult:
        request: dict[str, Any] = {
            "FromEmailAddress": self.config.from_address,
            "Destination": {"ToAddresses": [recipient]},
            "Content": {"Raw": {"Data": raw}},
        }
        if self.settings.configuration_set:
            request["ConfigurationSetName"] = self.settings.configuration_set
        client = aws_client("sesv2", self.settings, self.config.timeout_seconds)
        answer = aws_request("SES", client.send_email, **request)
        return SendResult(Outcome.SENT, reference=str(answer["MessageId"]))
