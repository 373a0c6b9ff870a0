"""A force's own categories of evidence, each with a retention period."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.evidence.models import Category
from exhibit.forces.models import Force

MAX_RETENTION_DAYS = 100 * 366


class CategoryRefused(ValueError):
    """The category cannot be saved (blank or duplicate name, bad retention)."""


class CategoryNameRefused(CategoryRefused):
    """The name is blank, too long, or already taken (ignoring capitals)."""


class RetentionRefused(CategoryRefused):
    """The retention period is out of range."""


async def list_categories(session: AsyncSession) -> list[Category]:
    """The force's categories by name (the session is scoped to the force)."""
    return list(await session.scalars(select(Category).order_by(Category.name)))


async def add_category(
    session: AsyncSession, force_id: int, *, name: str, retention_days: int, actor: str
) -> Category:
    """Define a category, audited. Not committed here.

    Names are unique within the force ignoring capitals ("CCTV" and "cctv" are one category).
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise CategoryNameRefused("a category name is 1 to 100 characters")
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise RetentionRefused(f"retention is 1 to {MAX_RETENTION_DAYS} days")
    # The database's unique constraint is case-sensitive: lock the force's row first, so two
    # admins adding "CCTV" and "cctv" at once take turns and the second sees the first.
    await session.execute(select(Force.id).where(Force.id == force_id).with_for_update())
    taken = await session.scalar(
        select(Category.name).where(func.lower(Category.name) == func.lower(name)).limit(1)
    )
    if taken is not None:
        same = "" if taken == name else " (capitals do not make a different name)"
        raise CategoryNameRefused(f"there is already a category called {taken}{same}")
    category = Category(force_id=force_id, name=name, retention_days=retention_days)
    session.add(category)
    await session.flush()
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="category.created",
        object_type="category",
        object_id=category.id,
        details={"name": name, "retention_days": retention_days},
    )
    return category


async def change_retention(
    session: AsyncSession, category: Category, *, retention_days: int, actor: str
) -> None:
    """Change a category's retention period (applies to items categorised from now on)."""
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise RetentionRefused(f"retention is 1 to {MAX_RETENTION_DAYS} days")
    old = category.retention_days
    category.retention_days = retention_days
    await audit.record(
        session,
        category.force_id,
        actor=actor,
        action="category.retention_changed",
        object_type="category",
        object_id=category.id,
        details={"name": category.name, "from_days": old, "to_days": retention_days},
    )
