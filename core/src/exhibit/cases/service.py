"""Opening cases."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.cases.models import Case


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
    """Open a case under the force's own reference, audited. Not committed here."""
    reference = reference.strip()
    if not reference or len(reference) > 100:
        raise ValueError("a case reference is 1 to 100 characters")
    if await session.scalar(select(Case.id).where(Case.reference == reference)) is not None:
        raise CaseExists(f"case {reference} already exists")
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
