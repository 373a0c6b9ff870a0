"""Sessions scoped to one force: they see and write only that force's rows.

Every request handler and job that acts for a force opens its session through
``force_session``. A global ORM criterion (``with_loader_criteria``) adds
``force_id = :force`` to every SELECT of a force-owned model, including relationship loads,
and a flush check refuses to write a row of another force. A query that forgets to filter
by force therefore returns nothing foreign instead of leaking.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from exhibit.db.base import ForceOwned

FORCE_KEY = "exhibit.force_id"


class CrossForceWrite(RuntimeError):
    """A session scoped to one force tried to write a row that belongs to another."""


@asynccontextmanager
async def force_session(
    sessions: async_sessionmaker[AsyncSession], force_id: int
) -> AsyncIterator[AsyncSession]:
    """Open a session that only sees and writes rows of ``force_id``."""
    async with sessions() as session:
        session.info[FORCE_KEY] = force_id
        yield session


def scoped_force_id(session: Session | AsyncSession) -> int | None:
    """The force a session is scoped to, or None for an unscoped (system) session."""
    value = session.info.get(FORCE_KEY)
    return value if isinstance(value, int) else None


@event.listens_for(Session, "do_orm_execute")
def _scope_selects(state: ORMExecuteState) -> None:
    force_id = state.session.info.get(FORCE_KEY)
    if force_id is None or not state.is_select or state.is_column_load:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            ForceOwned,
            lambda cls: cls.force_id == force_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _refuse_foreign_writes(session: Session, _context: Any, _instances: Any) -> None:
    force_id = session.info.get(FORCE_KEY)
    if force_id is None:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ForceOwned):
            owner = getattr(obj, "force_id", None)
            if owner is None and obj in session.new:
                obj.force_id = force_id
            elif owner != force_id:
                name = type(obj).__name__
                raise CrossForceWrite(
                    f"{name} of force {owner} written in force {force_id}'s session"
                )
