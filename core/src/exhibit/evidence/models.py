"""Evidence items and the derivatives made from them."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class ReviewState(enum.StrEnum):
    """An officer's decision on an item."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    QUARANTINED = "quarantined"
    DISPOSED = "disposed"


class EvidenceItem(ForceOwned, Base):
    """One file as received: the original object, never modified, and what we know of it.

    ``sha256`` is computed from the bytes actually stored. When the item is disposed the
    stored bytes go but this row stays as the tombstone.
    """

    __tablename__ = "evidence_item"
    __table_args__ = (
        UniqueConstraint("case_id", "exhibit_reference"),
        # The case page lists a case's items newest first in one indexed scan.
        Index("ix_evidence_item_case_received", "case_id", "received_at", "id"),
        # The fixity check's orphan search asks which of a batch of a store's keys are named.
        Index("ix_evidence_item_force_key", "force_id", "storage_backend", "storage_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id"), index=True, default=None
    )
    storage_backend: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))
    original_filename: Mapped[str] = mapped_column(String(500))
    caption: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger)
    declared_type: Mapped[str] = mapped_column(String(200), default="")
    sniffed_type: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    capture_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    review_state: Mapped[ReviewState] = mapped_column(
        Enum(ReviewState, native_enum=False, length=16), default=ReviewState.PENDING
    )
    exhibit_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    tags: Mapped[list[str]] = mapped_column(default=list)
    sensitive: Mapped[bool] = mapped_column(default=False)
    quarantine_reason: Mapped[str] = mapped_column(String(500), default="")
    retain_until: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id"), index=True, default=None
    )
    decline_reason: Mapped[str] = mapped_column(String(2000), default="")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    disposed_at: Mapped[datetime | None] = mapped_column(default=None)


class Derivative(ForceOwned, Base):
    """A file made from an item (thumbnail, proxy, redacted copy) and how it was made.

    Provenance is complete enough for a third party to reproduce it: the tool and version,
    the parameters, and the SHA-256 of input and output.
    """

    __tablename__ = "derivative"
    __table_args__ = (
        # The fixity check's orphan search asks which of a batch of a store's keys are named.
        Index("ix_derivative_force_key", "force_id", "storage_backend", "storage_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    storage_backend: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    processor: Mapped[str] = mapped_column(String(100))
    tool: Mapped[str] = mapped_column(String(200))
    tool_version: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_sha256: Mapped[str] = mapped_column(String(64))
    output_sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Category(ForceOwned, Base):
    """A force-defined kind of evidence (e.g. "CCTV", "dashcam") and how long it is kept."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("force_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    retention_days: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DisposalState(enum.StrEnum):
    """Where a request to dispose of an item stands."""

    PENDING = "pending"
    REFUSED = "refused"
    DONE = "done"


class DisposalRequest(ForceOwned, Base):
    """A request to destroy an item's stored bytes, with who asked, why, and who decided.

    Once done it is the tombstone's record of who disposed of the item, when and why.
    """

    __tablename__ = "disposal_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(2000))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[DisposalState] = mapped_column(
        Enum(DisposalState, native_enum=False, length=16), default=DisposalState.PENDING
    )
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str] = mapped_column(String(2000), default="")
