"""GOV.UK Notify text messages through the official client (v2 API, JWT-signed requests).

The force's Notify service holds a text message template whose content is ``((body))``;
we send its id with the message as personalisation, and our notification id as the
``reference`` (no personal data). Notify answers with its own id, which its delivery
receipts quote.
"""

import asyncio
from typing import Any, ClassVar

from exhibit.notifications.govuk_notify import notify_client
from exhibit.notifications.provider_http import error_list_reason, failure_for_status
from exhibit.plugins import OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_sms.config import Config, NotifySettings
from exhibit_notify_sms.numbers import e164


class NotifySms:
    """Text messages through GOV.UK Notify."""

    channel: ClassVar[str] = "sms"
    key: ClassVar[str] = "govuk_notify"
    max_segments: ClassVar[int] = 6
    """Notify refuses a text of more than 918 characters (6 segments), whatever a force allows."""

    def __init__(self, context: ProviderContext) -> None:
        config: Config = context.config
        assert config.govuk_notify is not None  # the Config checks the chosen section
        self.settings: NotifySettings = config.govuk_notify
        self.timeout = config.timeout_seconds

    async def send(self, message: OutboundMessage) -> SendResult:
        """Send through Notify; 400/403 are permanent, 429 and 5xx (or no answer) retried."""
        number = e164(message.recipient)
        return await asyncio.to_thread(self._send, number, message)

    def _send(self, number: str, message: OutboundMessage) -> SendResult:
        # Imported when sending, not at start-up; the official client has no type hints.
        from notifications_python_client.errors import APIError

        client = notify_client(self.settings.api_key, self.settings.base_url, self.timeout)
        options: dict[str, Any] = {}
        if self.settings.sms_sender_id:
            options["sms_sender_id"] = self.settings.sms_sender_id
        try:
            answer = client.send_sms_notification(
                phone_number=number,
                template_id=self.settings.template_id,
                personalisation={"body": message.body},
                reference=f"exhibit-{message.notification_id}",
                **options,
            )
        except APIError as error:
            raise failure_for_status(error.status_code, error_list_reason(error.message)) from None
        return SendResult(Outcome.SENT, reference=str(answer["id"]))
