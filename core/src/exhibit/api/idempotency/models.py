"""A key an API client sent with a POST, and the answer it got."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class IdempotencyKey(ForceOwned, Base):
    """One user's ``Idempotency-Key`` in their force, and the answer its request got.

    ``status_code`` is None while the first request with the key is being handled. The
    ``fingerprint`` (a SHA-256 of method, path, query and body) tells a retry of that
    request from a different request sent with the same key.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("force_id", "user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    """The answer's body, sealed with the platform's ``SecretBox``: it may name a witness."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
