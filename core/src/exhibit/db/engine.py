"""Creating the async engine and session factory for SQLite or PostgreSQL."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine for ``database_url`` (``sqlite+aiosqlite`` or ``postgresql+asyncpg``).

    On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so that two writers queue on
    the database lock instead of failing with "database is locked" when both try to upgrade
    a read lock. The price: code must not open a second session while its first one is inside
    a transaction, or it waits on itself (up to the 30 s busy timeout).

    Bound parameters are hidden from SQLAlchemy's error messages: they may hold personal
    data or secrets, and those messages end up in logs.
    """
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url, connect_args={"timeout": 30}, hide_parameters=True
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(database_url, pool_pre_ping=True, hide_parameters=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (handy for returning results)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so that BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: one trip to aiosqlite's thread instead of three (cursor,
        # execute, close), and every transaction begins here.
        await_only(connection.connection.driver_connection.execute("BEGIN IMMEDIATE"))
