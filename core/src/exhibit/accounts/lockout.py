"""Locking an email address out of signing in after repeated wrong passwords or codes.

Failures are counted per email address *and client address*: five wrong guesses from one
client lock that email out for that client only, so a stranger who knows an officer's email
cannot keep the officer from signing in at their own desk.

A second, looser count per email across every client (``MAX_FAILURES_ALL_CLIENTS`` in
``ALL_CLIENTS_WINDOW``) slows a guesser spread over many addresses: past it the email is
locked for everyone for ``LOCK_FOR``. Anyone can still trigger that lock-out, but only with
a botnet-sized effort, and an admin can lift it.

Failures are counted whether or not a user has the email, so that the lock-out itself does
not reveal which addresses have accounts. Only SHA-256 hashes of the email and the client
address are kept. Counting is one atomic upsert per count, so concurrent attempts on several
app processes all count.
"""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, case, delete, func, literal, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, UTCDateTime, utcnow

MAX_FAILURES = 5
"""Failures from one client, within ``LOCK_FOR``, that lock the email for that client."""
LOCK_FOR = timedelta(minutes=15)
MAX_FAILURES_ALL_CLIENTS = 100
"""Failures from all clients, within ``ALL_CLIENTS_WINDOW``, that lock the email for all."""
ALL_CLIENTS_WINDOW = timedelta(hours=1)
ALL_CLIENTS = "*"
"""The ``client_hash`` of the count across every client (never a SHA-256 hex digest)."""


class SignInLockout(Base):
    """Recent failed sign-ins for one email from one client (or all), and until when locked."""

    __tablename__ = "sign_in_lockout"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


def email_key(email: str) -> str:
    """The key failures are counted under: the SHA-256 of the normalised address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def client_key(client: str) -> str:
    """The SHA-256 of the client's network address."""
    return hashlib.sha256(client.strip().lower().encode()).hexdigest()


async def locked_until(session: AsyncSession, email: str, client: str) -> datetime | None:
    """When the email's lock-out for ``client`` ends, or None if it may try now."""
    clients = (client_key(client), ALL_CLIENTS)
    return await _latest_lock(session, email, SignInLockout.client_hash.in_(clients))


async def any_lock_until(session: AsyncSession, email: str) -> datetime | None:
    """When the email's last lock-out ends, from whichever client, or None if none is live."""
    return await _latest_lock(session, email, true())


async def record_failure(session: AsyncSession, email: str, client: str) -> bool:
    """Count a failed attempt; True when it locks the email (for ``client`` or all). Not committed.

    Failures older than the count's window no longer count, and a lock starts a fresh count.
    """
    here = await _count(session, email, client_key(client), MAX_FAILURES, LOCK_FOR)
    everywhere = await _count(
        session, email, ALL_CLIENTS, MAX_FAILURES_ALL_CLIENTS, ALL_CLIENTS_WINDOW
    )
    return here or everywhere


async def clear_failures(session: AsyncSession, email: str, client: str) -> None:
    """Forget the email's failures from ``client`` after it signed in there. Not committed.

    The count across all clients stays: one good sign-in does not excuse a distributed guesser.
    """
    await session.execute(
        delete(SignInLockout).where(
            SignInLockout.email_hash == email_key(email),
            SignInLockout.client_hash == client_key(client),
        )
    )


async def clear_all(session: AsyncSession, email: str) -> None:
    """Forget every failure and lock of the email, from every client. Not committed."""
    await session.execute(delete(SignInLockout).where(SignInLockout.email_hash == email_key(email)))


async def forget_stale(session: AsyncSession) -> None:
    """Delete counts that no longer matter: no live lock and no recent failure. Not committed."""
    now = utcnow()
    per_client = SignInLockout.client_hash != ALL_CLIENTS
    await session.execute(
        delete(SignInLockout).where(
            (per_client & (SignInLockout.first_failed_at <= now - LOCK_FOR))
            | (SignInLockout.first_failed_at <= now - ALL_CLIENTS_WINDOW),
            (SignInLockout.locked_until.is_(None)) | (SignInLockout.locked_until <= now),
        )
    )


async def _latest_lock(
    session: AsyncSession, email: str, which: ColumnElement[bool]
) -> datetime | None:
    until = await session.scalar(
        select(func.max(SignInLockout.locked_until)).where(
            SignInLockout.email_hash == email_key(email), which
        )
    )
    return until if until is not None and until > utcnow() else None


async def _count(
    session: AsyncSession, email: str, client_hash: str, limit: int, window: timedelta
) -> bool:
    now = utcnow()
    stale = SignInLockout.first_failed_at <= now - window
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    upsert = (
        insert(SignInLockout)
        .values(
            email_hash=email_key(email),
            client_hash=client_hash,
            failures=1,
            first_failed_at=now,
            locked_until=None,
        )
        .on_conflict_do_update(
            index_elements=[SignInLockout.email_hash, SignInLockout.client_hash],
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
    if failures < limit:
        return False
    row = await session.get(SignInLockout, (email_key(email), client_hash))
    assert row is not None
    row.locked_until, row.failures = now + LOCK_FOR, 0
    return True
