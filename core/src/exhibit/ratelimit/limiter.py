"""Counting hits per key in fixed windows, atomically, in the shared database."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exhibit.db.base import utcnow
from exhibit.ratelimit.models import RateLimitWindow


class RateLimited(Exception):
    """Too many hits for a key in the current window; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


async def hit(
    sessions: async_sessionmaker[AsyncSession], key: str, *, limit: int, window: timedelta
) -> None:
    """Count one hit for ``key``; raise ``RateLimited`` once ``limit`` is exceeded.

    The counter is an upsert in its own short transaction, so every app process sees the
    same count and concurrent hits are never lost.
    """
    now = utcnow()
    start = _window_start(now, window)
    async with sessions() as session:
        connection = await session.connection()
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        upsert = (
            insert(RateLimitWindow)
            .values(key=key, window_start=start, hits=1)
            .on_conflict_do_update(
                index_elements=[RateLimitWindow.key, RateLimitWindow.window_start],
                set_={"hits": RateLimitWindow.hits + 1},
            )
            .returning(RateLimitWindow.hits)
        )
        hits = (await session.execute(upsert)).scalar_one()
        await session.commit()
    if hits > limit:
        raise RateLimited(retry_after=max(1, int((start + window - now).total_seconds())))


async def sweep(session: AsyncSession, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete windows that ended long ago; returns how many went. Not committed here."""
    result = await session.execute(
        delete(RateLimitWindow).where(RateLimitWindow.window_start < utcnow() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)
