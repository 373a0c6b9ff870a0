"""A message sent (or to be sent) through a notifier, with its status history."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class DeliveryStatus(enum.StrEnum):
    """Where a message is on its way to the recipient."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED_TEMPORARILY = "failed_temporarily"
    FAILED_PERMANENTLY = "failed_permanently"


_status_enum = Enum(DeliveryStatus, native_enum=False, length=32)


class Notification(ForceOwned, Base):
    """One message on one channel. The body holds a live link, so it is kept encrypted."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_request.id"), index=True, default=None
    )
    channel: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    recipient_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    body_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    provider_reference: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    status: Mapped[DeliveryStatus] = mapped_column(_status_enum, default=DeliveryStatus.QUEUED)
    status_detail: Mapped[str] = mapped_column(String(1000), default="")
    used_fallback: Mapped[bool] = mapped_column(default=False)
    """True once the message was handed to the force's fallback provider (which happens once)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationStatusChange(ForceOwned, Base):
    """One step in a message's status history, with the provider's reason where given."""

    __tablename__ = "notification_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(_status_enum)
    detail: Mapped[str] = mapped_column(String(1000), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
