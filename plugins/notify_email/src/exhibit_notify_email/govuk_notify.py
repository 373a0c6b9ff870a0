"""Email through GOV.UK Notify (v2 API, official client).

The force's Notify email template has ``((subject))`` as its subject and ``((body))`` as
its content; Notify renders and sends it from the service's own address (``reply_to_id``
picks one of the service's reply-to addresses).
"""

import asyncio
from typing import Any, ClassVar

from exhibit.notifications.govuk_notify import notify_client
from exhibit.notifications.provider_http import error_list_reason, failure_for_status
from exhibit.plugins import OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_email.config import Config, NotifySettings


class NotifyEmail:
    """Email through GOV.UK Notify."""

    channel: ClassVar[str] = "email"
    key: ClassVar[str] = "govuk_notify"

    def __init__(self, context: ProviderContext) -> None:
        config: Config = context.config
        assert config.govuk_notify is not None
        self.settings: NotifySettings = config.govuk_notify
        self.timeout = config.timeout_seconds

    async def send(self, message: OutboundMessage) -> SendResult:
        """Send through Notify; 4xx permanent except 429, 5xx and no answer retried."""
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: OutboundMessage) -> SendResult:
        # Imported when sending, not at start-up; the official client has no type hints.
        from notifications_python_client.errors import APIError

        client = notify_client(self.settings.api_key, self.settings.base_url, self.timeout)
        options: dict[str, Any] = {}
        if self.settings.reply_to_id:
            options["email_reply_to_id"] = self.settings.reply_to_id
        try:
            answer = client.send_email_notification(
                email_address=message.recipient,
                template_id=self.settings.template_id,
                personalisation={"subject": message.subject, "body": message.body},
                reference=f"exhibit-{message.notification_id}",
                **options,
            )
        except APIError as error:
            raise failure_for_status(error.status_code, error_list_reason(error.message)) from None
        return SendResult(Outcome.SENT, reference=str(answer["id"]))
