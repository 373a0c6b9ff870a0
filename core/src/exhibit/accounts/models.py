"""Users and their personal API tokens."""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned, utcnow


class Role(enum.StrEnum):
    """What a user may do within their force, from least to most."""

    AUDITOR = "auditor"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    EVIDENCE_MANAGER = "evidence_manager"
    FORCE_ADMIN = "force_admin"


class User(ForceOwned, Base):
    """A person who signs in. A user belongs to exactly one force."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(500), default=None)
    """The TOTP secret, encrypted with the platform's ``SecretBox``; None if not enrolled."""
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the user proved their authenticator works; until then the secret is only offered."""
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The 30-second time step of the last code accepted, so that no code is used twice."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(ForceOwned, Base):
    """A personal API token: shown once, stored only as its SHA-256, revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class PasswordSetup(ForceOwned, Base):
    """A one-time link with which a new user sets their own password."""

    __tablename__ = "password_setup"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
