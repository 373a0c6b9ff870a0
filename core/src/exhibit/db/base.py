"""The declarative base every model inherits, and the mixin for rows that belong to a force."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Stable constraint names, so that migrations written on SQLite apply unchanged on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone type; without this a value would come back naive and compare
    wrongly with ``utcnow()``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every Exhibit table (core and plugins share one metadata)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


MAX_INTEGER = 2**31 - 1
"""The largest value of an ``int`` column without a wider type, row ids included: 32-bit
``INTEGER`` on PostgreSQL (SQLite takes more). A larger number names no row, and a query
with one fails in the driver, so input is checked against this first."""


class ForceOwned:
    """Mixin for a row that belongs to one force.

    Sessions opened for a force (``exhibit.db.scoping.force_session``) only ever see rows of
    that force and refuse to write rows of another.
    """

    @declared_attr
    def force_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("force.id", ondelete="RESTRICT"), index=True, nullable=False
        )
