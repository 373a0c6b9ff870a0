"""A force and the plugins it has enabled."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


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
    default_max_files: Mapped[int] = mapped_column(default=25)
    default_max_file_bytes: Mapped[int] = mapped_column(BigInteger, default=10 * 1024**3)
    default_expiry_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
