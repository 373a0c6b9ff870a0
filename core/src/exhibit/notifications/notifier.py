"""The notifier contract: one channel (``sms``, ``email``), one provider (``outbox``, ...)."""

import enum
from typing import ClassVar, Protocol, runtime_checkable

import msgspec


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message to send. ``recipient`` is an E.164 number or an email address.

    ``html_body`` is used by channels that support it (email) and ignored by others. For
    text messages the core has already fitted ``body`` to the force's segment budget.
    ``link`` is the upload link the body carries (if any), ``purpose`` what the message is
    for (``upload_link``, ``receipt``, ``reminder``, ...), ``languages`` the languages it is
    written in, in order (``("cy", "en")`` for Welsh then English), and ``force_slug`` names
    the force for providers that build a delivery-receipt callback address.
    """

    notification_id: int
    channel: str
    recipient: str
    subject: str = ""
    body: str
    html_body: str | None = None
    sender_name: str = ""
    reply_to: str | None = None
    link: str | None = None
    purpose: str = ""
    languages: tuple[str, ...] = ("en",)
    force_slug: str = ""


class Outcome(enum.StrEnum):
    """What a provider said when it took the message."""

    SENT = "sent"
    DELIVERED = "delivered"


class SendResult(msgspec.Struct, frozen=True):
    """The provider accepted the message; ``reference`` identifies it in delivery receipts."""

    outcome: Outcome
    reference: str | None = None


class DeliveryFailed(Exception):
    """The provider refused or failed the message; ``permanent`` says whether to retry."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@runtime_checkable
class Notifier(Protocol):
    """Sends messages on one channel through one provider.

    ``channel`` is ``sms`` or ``email``; ``key`` names the provider in configuration. An SMS
    notifier whose provider refuses long texts may declare ``max_segments`` (a class
    attribute): texts are then cut to fit it, whatever the force allows. The
    constructor takes one ``ProviderContext``. ``send`` raises ``DeliveryFailed`` (with
    ``permanent=False`` for a fault worth retrying) and never logs the recipient or body.
    """

    channel: ClassVar[str]
    key: ClassVar[str]

    async def send(self, message: OutboundMessage) -> SendResult:
        """Hand the message to the provider and say what it answered."""
        ...
