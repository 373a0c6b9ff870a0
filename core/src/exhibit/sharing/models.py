"""A share of exhibits with a partner (e.g. a prosecutor) through a share target."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
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
