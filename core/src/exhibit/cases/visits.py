"""When each user last opened each case's page, so that what arrived since can be shown new.

A visit is a convenience for the officer, not a record of access: nothing here is audited
(the audit log keeps what the law needs). Rows go with their user or case, so they never stand
in the way of deleting either (users are deactivated rather than deleted, and keep theirs).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base, ForceOwned


class CaseVisit(ForceOwned, Base):
    """A user's latest opening of a case's page, and the one before it."""

    __tablename__ = "case_visit"
    __table_args__ = (UniqueConstraint("user_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime]
    """When the user last opened the case: what arrived after it is new to them."""
    seen_before: Mapped[datetime | None] = mapped_column(default=None)
    """When they opened it the time before (None the first time): what the latest opening
    showed as new, so that the pages of that visit show the same."""


async def record_visit(
    session: AsyncSession, force_id: int, user_id: int, case_id: int, at: datetime
) -> datetime | None:
    """Record that the user opened the force's case at ``at``; return when they had last
    opened it (None if never).

    One statement whatever the history, so concurrent openings never lose one. Not committed
    here. The caller has found the case in the force's scoped session.
    """
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(CaseVisit).values(
        force_id=force_id, user_id=user_id, case_id=case_id, seen_at=at
    )
    # The assignments read the row as it was: seen_before takes the old seen_at.
    upsert = statement.on_conflict_do_update(
        index_elements=[CaseVisit.user_id, CaseVisit.case_id],
        set_={"seen_before": CaseVisit.seen_at, "seen_at": statement.excluded.seen_at},
    ).returning(CaseVisit.seen_before)
    return (await session.execute(upsert)).scalar_one()


async def latest_visit_boundary(
    session: AsyncSession, user_id: int, case_id: int
) -> datetime | None:
    """What the user's latest opening of the case counted as new from (None: everything)."""
    return await session.scalar(
        select(CaseVisit.seen_before).where(
            CaseVisit.user_id == user_id, CaseVisit.case_id == case_id
        )
    )
