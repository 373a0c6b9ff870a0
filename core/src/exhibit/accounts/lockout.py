"""Locking an email address out of signing in after repeated wrong passwords.

Failures are counted per email address whether or not a user has it, so that the lock-out
itself does not reveal which addresses have accounts. Only the address's SHA-256 is kept.
Counting is one atomic upsert, so concurrent attempts on several app processes all count.
"""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import String, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, UTCDateTime, utcnow

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


class SignInLockout(Base):
    """Recent failed sign-ins for one email address, and until when it is locked."""

    __tablename__ = "sign_in_lockout"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


def email_key(email: str) -> str:
    """The key failures are counted under: the SHA-256 of the normalised address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def locked_until(session: AsyncSession, email: str) -> datetime | None:
    """When the address's lock-out ends, or None if it may try now."""
    until = await session.scalar(
        select(SignInLockout.locked_until).where(SignInLockout.email_hash == email_key(email))
    )
    return until if until is not None and until > utcnow() else None


async def record_failure(session: AsyncSession, email: str) -> bool:
    """Count a failed attempt; returns True when this one locks the address. Not committed.

    Failures older than ``LOCK_FOR`` no longer count, and a lock starts a fresh count.
    """
    now = utcnow()
    stale = SignInLockout.first_failed_at <= now - LOCK_FOR
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    upsert = (
        insert(SignInLockout)
        .values(email_hash=email_key(email), failures=1, first_failed_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[SignInLockout.email_hash],
            set_={
                "failures": case((stale, 1), else_=SignInLockout.failures + 1),
                "first_failed_at": case(
                    (stale, literal(now, UTCDateTime())), else_=SignInLockout.first_failed_at
                ),
            },
        )
        .returning(SignInLockout.failures)
    )
    failures = (await session.execute(upsert)).scalar_one()
    if failures < MAX_FAILURES:
        return False
    row = await session.get(SignInLockout, email_key(email))
    assert row is not None
    row.locked_until, row.failures = now + LOCK_FOR, 0
    return True


async def clear_failures(session: AsyncSession, email: str) -> None:
    """Forget the address's failures after a successful sign-in. Not committed."""
    await session.execute(delete(SignInLockout).where(SignInLockout.email_hash == email_key(email)))


async def forget_stale(session: AsyncSession) -> None:
    """Delete counts that no longer matter: no live lock and no recent failure. Not committed."""
    now = utcnow()
    await session.execute(
        delete(SignInLockout).where(
            SignInLockout.first_failed_at <= now - LOCK_FOR,
            (SignInLockout.locked_until.is_(None)) | (SignInLockout.locked_until <= now),
        )
    )
