"""Built-in plugin ``outbox``: messages are kept for the web app instead of being sent.

A force that has enabled no notifier for a channel gets the outbox, so a trial runs with no
SMS or email provider: the message (kept encrypted on its notification record) is shown
to the force's administrators in the app and the API, and the log says a message is waiting
without ever printing its recipient or body, which holds a live upload link.
"""

import logging
from typing import ClassVar

from exhibit.notifications.notifier import OutboundMessage, Outcome, SendResult
from exhibit.plugins import hookimpl
from exhibit.plugins.context import ProviderContext

log = logging.getLogger(__name__)


class _Outbox:
    """Accepts every message as delivered to the outbox."""

    channel: ClassVar[str]
    key: ClassVar[str] = "outbox"

    def __init__(self, context: ProviderContext) -> None:
        self.force = context.force

    async def send(self, message: OutboundMessage) -> SendResult:
        """Keep the message for display; nothing leaves the building."""
        log.info(
            "outbox: %s message %s for force %s is waiting in the outbox",
            message.channel,
            message.notification_id,
            self.force.slug,
        )
        return SendResult(Outcome.DELIVERED, reference=f"outbox:{message.notification_id}")


class OutboxSms(_Outbox):
    """The outbox for text messages."""

    channel = "sms"


class OutboxEmail(_Outbox):
    """The outbox for email."""

    channel = "email"


@hookimpl
def exhibit_notifiers() -> list[type[_Outbox]]:
    """The outbox serves both channels."""
    return [OutboxSms, OutboxEmail]
