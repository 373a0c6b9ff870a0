"""A force and the plugins it has enabled."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow

DEFAULT_MAX_FILE_BYTES = 10 * 1000**3
"""The largest file a request takes unless the force says otherwise: 10 GB."""


class Force(Base):
    """A police force using Exhibit. Every force-owned row points here."""

    __tablename__ = "force"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_details: Mapped[str] = mapped_column(String(1000), default="")
    storage_backend: Mapped[str] = mapped_column(String(64), default="local")
    privacy_notice: Mapped[str] = mapped_column(Text, default="")
    welsh_enabled: Mapped[bool] = mapped_column(default=False)
    # The force's own texts in Welsh: the Welsh pages and messages use the English ones
    # while these are empty.
    name_cy: Mapped[str] = mapped_column(String(200), default="")
    contact_details_cy: Mapped[str] = mapped_column(String(1000), default="")
    privacy_notice_cy: Mapped[str] = mapped_column(Text, default="")
    logo_sha256: Mapped[str] = mapped_column(String(64), default="")
    """SHA-256 of ``logo_png``; empty while the force has no logo."""
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    """The logo on the witness's pages as Exhibit drew it again (``forces.logo``), never the
    uploaded file. Deferred: loading a force does not load it."""
    two_factor_required: Mapped[bool] = mapped_column(default=False)
    """Whether every user needs a TOTP code to sign in (force admins always do)."""
    default_max_files: Mapped[int] = mapped_column(default=25)
    default_max_file_bytes: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_MAX_FILE_BYTES)
    default_expiry_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    exhibit_reference_format: Mapped[str] = mapped_column(String(64), default="{initials}/{n}")
    """How accepted exhibits are numbered; ``{initials}``, ``{n}``, ``{case}``, ``{year}``."""
    declined_retention_days: Mapped[int] = mapped_column(default=90)
    """How long declined material is kept before a retention sweep may dispose of it."""
    disposal_needs_approval: Mapped[bool] = mapped_column(default=True)
    """Whether disposal needs a second person (supervisor or evidence manager) to approve."""
    # Delivery to witnesses (issue 5): contact details are erased this many days after the
    # request is submitted, expired or revoked; a reminder goes this many hours before the
    # link expires (0: no reminder).
    contact_purge_days: Mapped[int] = mapped_column(default=30)
    reminder_hours_before: Mapped[int] = mapped_column(default=0)


class ForcePlugin(ForceOwned, Base):
    """One plugin enabled (or configured and disabled) for one force.

    ``config`` is the plugin's configuration Struct encoded to JSON, with each secret stored
    as ``{"encrypted": ...}`` or ``{"env": ...}`` and never as the plain value.
    """

    __tablename__ = "force_plugin"
    __table_args__ = (UniqueConstraint("force_id", "plugin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin_id: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PluginFailure(ForceOwned, Base):
    """A plugin's event hook raised; recorded against the plugin, the core carried on."""

    __tablename__ = "plugin_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin_id: Mapped[str] = mapped_column(String(64), index=True)
    hook: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(String(2000))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["Force", "ForcePlugin", "PluginFailure"]
