"""A case (an investigation) within a force."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class CaseStatus(enum.StrEnum):
    """Whether a case still takes evidence."""

    OPEN = "open"
    CLOSED = "closed"


class Case(ForceOwned, Base):
    """An investigation, identified by the force's own reference (e.g. a crime number)."""

    __tablename__ = "case"
    __table_args__ = (UniqueConstraint("force_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[CaseStatus] = mapped_column(
        Enum(CaseStatus, native_enum=False, length=16), default=CaseStatus.OPEN
    )
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
