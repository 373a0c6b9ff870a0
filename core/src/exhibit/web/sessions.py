"""Officer web sessions kept in the database, so that any app process can serve any request.

``DatabaseStore`` is a Litestar ``Store`` over the ``web_session`` table. A session id is a
bearer credential, so the table holds only its SHA-256: someone who can read the database
cannot take over a signed-in officer's session.
"""

import hashlib
from datetime import datetime, timedelta

from litestar.stores.base import Store
from sqlalchemy import Executable, LargeBinary, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, utcnow


class WebSession(Base):
    """One officer's server-side session: its data and when it stops working if left idle."""

    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _expiry(expires_in: int | timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in if isinstance(expires_in, timedelta) else timedelta(seconds=expires_in)
    return utcnow() + seconds


class DatabaseStore(Store):
    """A key/value store in the shared database; each call is one short transaction."""

    __slots__ = ("_sessions",)

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store ``value`` under ``key``, replacing any previous value and expiry."""
        data = value.encode() if isinstance(value, str) else value
        row = {"id_hash": _hash(key), "data": data, "expires_at": _expiry(expires_in)}
        async with self._sessions() as session:
            connection = await session.connection()
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            upsert = insert(WebSession).values(**row, created_at=utcnow())
            await session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[WebSession.id_hash],
                    set_={"data": data, "expires_at": row["expires_at"]},
                )
            )
            await session.commit()

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The live value of ``key``, or None; ``renew_for`` pushes an expiry further out."""
        async with self._sessions() as session:
            row = await session.get(WebSession, _hash(key))
            if row is None:
                return None
            if row.expires_at is not None and row.expires_at <= utcnow():
                await session.delete(row)
                await session.commit()
                return None
            if renew_for is not None and row.expires_at is not None:
                row.expires_at = _expiry(renew_for)
                await session.commit()
            return row.data

    async def delete(self, key: str) -> None:
        """Forget ``key``; nothing happens if it is not there."""
        await self._execute(delete(WebSession).where(WebSession.id_hash == _hash(key)))

    async def delete_all(self) -> None:
        """Forget every session (signs every officer out)."""
        await self._execute(delete(WebSession))

    async def delete_expired(self) -> None:
        """Forget sessions whose time has passed."""
        await self._execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))

    async def exists(self, key: str) -> bool:
        """True if ``key`` holds a live value."""
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(WebSession.expires_at).where(WebSession.id_hash == _hash(key))
                )
            ).first()
        return found is not None and (found.expires_at is None or found.expires_at > utcnow())

    async def expires_in(self, key: str) -> int | None:
        """Seconds until ``key`` expires; None if it is unknown or never expires."""
        async with self._sessions() as session:
            expires_at = await session.scalar(
                select(WebSession.expires_at).where(WebSession.id_hash == _hash(key))
            )
        if expires_at is None:
            return None
        return max(0, int((expires_at - utcnow()).total_seconds()))

    async def _execute(self, statement: Executable) -> None:
        async with self._sessions() as session:
            await session.execute(statement)
            await session.commit()


__all__ = ["DatabaseStore", "WebSession"]
