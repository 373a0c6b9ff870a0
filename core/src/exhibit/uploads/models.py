"""Evidence requests (the upload link sent to a witness) and the submissions they receive."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow
from exhibit.forces.models import DEFAULT_MAX_FILE_BYTES


class RequestState(enum.StrEnum):
    """Where an evidence request is in its life."""

    CREATED = "created"
    SENT = "sent"
    OPENED = "opened"
    UPLOADING = "uploading"
    SUBMITTED = "submitted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class EvidenceRequest(ForceOwned, Base):
    """A request for evidence sent to one witness: the link and its limits.

    The link's token is never stored, only its SHA-256 (``token_hash``). The recipient's
    contact details are purged once the request no longer needs them.
    """

    __tablename__ = "evidence_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    recipient_email: Mapped[str | None] = mapped_column(String(320), default=None)
    channels: Mapped[list[str]] = mapped_column(default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    incident_at: Mapped[datetime | None] = mapped_column(default=None)
    incident_place: Mapped[str] = mapped_column(String(300), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    max_files: Mapped[int] = mapped_column(default=25)
    max_file_bytes: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_MAX_FILE_BYTES)
    expires_at: Mapped[datetime]
    state: Mapped[RequestState] = mapped_column(
        Enum(RequestState, native_enum=False, length=16), default=RequestState.CREATED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Submission(ForceOwned, Base):
    """What a witness sent through one request: files plus an optional statement."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("evidence_request.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    statement: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")
    """The language of the page the witness sent from (``en`` or ``cy``): the receipt's."""


class Upload(ForceOwned, Base):
    """One file on its way in through the tus protocol, and where its bytes are going.

    The offset lives here, not in a process, so any app process can continue an upload that
    another began. ``locked_by``/``locked_until`` let exactly one PATCH write at a time.
    """

    __tablename__ = "upload"
    __table_args__ = (
        # The fixity check's orphan search asks which of a batch of a store's keys are named.
        Index("ix_upload_force_key", "force_id", "storage_backend", "storage_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("evidence_request.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    storage_backend: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))
    storage_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    filename: Mapped[str] = mapped_column(String(500), default="")
    declared_type: Mapped[str] = mapped_column(String(200), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    client_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_item.id"), default=None)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    terminated_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the requesting officer was told the file arrived (uploads.arrivals).
    officer_told_at: Mapped[datetime | None] = mapped_column(default=None)
