"""Opening cases."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.forces.models import Force


class CaseExists(ValueError):
    """The force already has a case with that reference."""


async def open_case(
    session: AsyncSession,
    force_id: int,
    *,
    reference: str,
    title: str,
    officer_id: int | None,
    actor: str,
) -> Case:
    """Open a case under the force's own reference, audited. Not committed here.

    References are unique within the force ignoring capitals: "bulk-07" and "BULK-07" would
    be one crime number typed two ways.
    """
    reference = reference.strip()
    if not reference or len(reference) > 100:
        raise ValueError("a case reference is 1 to 100 characters")
    # The database's unique constraint is case-sensitive: lock the force's row first, so two
    # officers opening "BULK-07" and "bulk-07" at once take turns and the second sees the first.
    await session.execute(select(Force.id).where(Force.id == force_id).with_for_update())
    taken = await session.scalar(
        select(Case.reference).where(func.lower(Case.reference) == func.lower(reference)).limit(1)
    )
    if taken is not None:
        raise CaseExists(
            f"case {reference} already exists"
            + ("" if taken == reference else f" (as {taken}; capitals do not make a new case)")
        )
    case = Case(force_id=force_id, reference=reference, title=title.strip(), officer_id=officer_id)
    session.add(case)
    await session.flush()
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="case.opened",
        object_type="case",
        object_id=case.id,
        details={"reference": reference},
    )
    return case
