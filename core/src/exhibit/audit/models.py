"""An audit event: one link in a force's hash chain."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned


class AuditEvent(ForceOwned, Base):
    """Who did what to which object, when and why; committed to the previous event's hash.

    ``seq`` numbers a force's events from 1 without gaps; ``hash`` is the SHA-256 of this
    event's canonical form, which includes ``prev_hash``. Rows are never updated or deleted
    (database triggers refuse both).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("force_id", "seq"),
        # A continuity history (an item's, a case's) asks for the events about given objects,
        # a case's a page at a time: after or before a sequence number.
        Index("ix_audit_event_force_object_seq", "force_id", "object_type", "object_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(2000), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
