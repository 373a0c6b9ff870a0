"""What media processing found: one record per run of a processor on an item, and hashes."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class MediaProcessing(ForceOwned, Base):
    """The outcome of one processor on one item: ``succeeded`` with findings, or ``failed``.

    A failure keeps the reason (``error``) for the officer; the original is untouched either
    way. A processor that succeeded on an item at its current version is not run again.
    """

    __tablename__ = "media_processing"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id"), index=True)
    processor: Mapped[str] = mapped_column(String(100))
    processor_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16))
    findings: Mapped[list[str]] = mapped_column(default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    input_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaHash(ForceOwned, Base):
    """A perceptual hash of an item's picture (a photo, or a video key frame at ``position``)."""

    __tablename__ = "media_hash"
    __table_args__ = (Index("ix_media_hash_force_algorithm", "force_id", "algorithm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(64))
    position: Mapped[float | None] = mapped_column(default=None)
