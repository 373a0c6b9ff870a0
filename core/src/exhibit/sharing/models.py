"""A share of exhibits with a partner (e.g. a prosecutor) through a share target."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class Share(ForceOwned, Base):
    """A set of items made available to one recipient through one share target."""

    __tablename__ = "share"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    target: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    allow_download: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareItem(ForceOwned, Base):
    """One item in a share, and which copy of it (original or a derivative) is shared."""

    __tablename__ = "share_item"
    __table_args__ = (UniqueConstraint("share_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("share.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id"), index=True)
    derivative_id: Mapped[int | None] = mapped_column(ForeignKey("derivative.id"), default=None)
    original_reason: Mapped[str] = mapped_column(String(500), default="")


class DeliveryState(enum.StrEnum):
    """Where the delivery of a share to its target stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class ShareDelivery(ForceOwned, Base):
    """The delivery of one share through its target (a portal, a partner's drop location).

    ``attempts`` counts tries; ``last_error`` keeps the latest failure (never a credential).
    """

    __tablename__ = "share_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("share.id"), unique=True)
    target: Mapped[str] = mapped_column(String(64))
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=16), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(2000), default="")
    reference: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningKey(ForceOwned, Base):
    """A force's Ed25519 key for signing share bundles; the private half only encrypted.

    ``public_key`` is the raw 32-byte key in hex; ``private_key_encrypted`` is the raw private
    key sealed by the deployment's ``SecretBox``.
    """

    __tablename__ = "share_signing_key"
    __table_args__ = (UniqueConstraint("force_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerAccount(ForceOwned, Base):
    """A partner (e.g. a prosecutor) who signs in to see what a force shared with them.

    Made when a share is first made out to their address; they accept the invitation by
    setting a password and enrolling a two-factor app. Only the invitation token's SHA-256
    is kept, and the two-factor secret only encrypted.
    """

    __tablename__ = "share_partner"
    __table_args__ = (UniqueConstraint("force_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    totp_secret_encrypted: Mapped[str] = mapped_column(Text)
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    invite_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
