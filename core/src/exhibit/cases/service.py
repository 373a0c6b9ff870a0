"""Opening a case and changing its details (its reference and title)."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.forces.models import Force

MAX_REFERENCE = 100
MAX_TITLE = 300


class CaseExists(ValueError):
    """The force already has a case with that reference."""


class InvalidTitle(ValueError):
    """The title is too long to keep."""


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
    reference = _clean_reference(reference)
    title = _clean_title(title)
    await _refuse_taken(session, force_id, reference)
    case = Case(force_id=force_id, reference=reference, title=title, officer_id=officer_id)
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


async def change_case_details(
    session: AsyncSession,
    case: Case,
    *,
    reference: str | None = None,
    title: str | None = None,
    actor: str,
) -> dict[str, dict[str, str]]:
    """Give the case a new reference and/or title (None keeps one), audited with the old and
    new values of what changed; return those changes (empty if nothing did). Not committed.

    A new reference follows the rule of ``open_case``: no other case of the force may have it,
    ignoring capitals; the case's own reference may change its capitals.
    """
    wanted: dict[str, str] = {}
    if reference is not None:
        wanted["reference"] = _clean_reference(reference)
    if title is not None:
        wanted["title"] = _clean_title(title)
    changes = {
        name: {"from": getattr(case, name), "to": value}
        for name, value in wanted.items()
        if getattr(case, name) != value
    }
    if not changes:
        return {}
    if "reference" in changes:
        await _refuse_taken(session, case.force_id, wanted["reference"], except_case=case.id)
    for name, change in changes.items():
        setattr(case, name, change["to"])
    await audit.record(
        session,
        case.force_id,
        actor=actor,
        action="case.details_changed",
        object_type="case",
        object_id=case.id,
        details=changes,
    )
    return changes


def _clean_reference(reference: str) -> str:
    reference = reference.strip()
    if not reference or len(reference) > MAX_REFERENCE:
        raise ValueError(f"a case reference is 1 to {MAX_REFERENCE} characters")
    return reference


def _clean_title(title: str) -> str:
    title = title.strip()
    if len(title) > MAX_TITLE:
        raise InvalidTitle(f"a case title is at most {MAX_TITLE} characters")
    return title


async def _refuse_taken(
    session: AsyncSession, force_id: int, reference: str, *, except_case: int | None = None
) -> None:
    """Raise ``CaseExists`` if another case of the force has ``reference``, ignoring capitals."""
    # The database's unique constraint is case-sensitive: lock the force's row first, so two
    # officers opening "BULK-07" and "bulk-07" at once take turns and the second sees the first.
    await session.execute(select(Force.id).where(Force.id == force_id).with_for_update())
    query = select(Case.reference).where(
        Case.force_id == force_id, func.lower(Case.reference) == func.lower(reference)
    )
    if except_case is not None:
        query = query.where(Case.id != except_case)
    taken = await session.scalar(query.limit(1))
    if taken is not None:
        raise CaseExists(
            f"case {reference} already exists"
            + ("" if taken == reference else f" (as {taken}; capitals do not make a new case)")
        )
