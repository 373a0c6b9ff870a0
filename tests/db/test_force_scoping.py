"""A session opened for a force sees and writes only that force's rows."""

import pytest
from sqlalchemy import select

from exhibit.cases.models import Case
from exhibit.db.scoping import CrossForceWrite
from exhibit.forces.service import create_force
from exhibit.platform import Platform


async def _forces_with_cases(platform: Platform) -> tuple[int, int]:
    async with platform.system_session() as session:
        kent = await create_force(session, slug="kent", name="Kent", actor="test")
        essex = await create_force(session, slug="essex", name="Essex", actor="test")
        session.add_all(
            [
                Case(force_id=kent.id, reference="K/1"),
                Case(force_id=kent.id, reference="K/2"),
                Case(force_id=essex.id, reference="E/1"),
            ]
        )
        await session.commit()
        return kent.id, essex.id


async def test_a_query_without_a_force_filter_still_sees_only_its_force(
    platform: Platform,
) -> None:
    kent, essex = await _forces_with_cases(platform)
    essex_case_id = await platform_case_id(platform, essex)
    async with platform.force_session(kent) as session:
        references = (await session.scalars(select(Case.reference).order_by(Case.id))).all()
        # Even asking for another force's row by primary key finds nothing.
        assert await session.get(Case, essex_case_id) is None
    assert references == ["K/1", "K/2"]


async def platform_case_id(platform: Platform, force_id: int) -> int:
    async with platform.system_session() as session:
        case_id = await session.scalar(select(Case.id).where(Case.force_id == force_id))
    assert case_id is not None
    return case_id


async def test_a_new_row_takes_the_sessions_force(platform: Platform) -> None:
    kent, _ = await _forces_with_cases(platform)
    async with platform.force_session(kent) as session:
        case = Case(reference="K/3")
        session.add(case)
        await session.commit()
    assert case.force_id == kent


async def test_writing_another_forces_row_is_refused(platform: Platform) -> None:
    kent, essex = await _forces_with_cases(platform)
    async with platform.force_session(kent) as session:
        session.add(Case(force_id=essex, reference="planted"))
        with pytest.raises(CrossForceWrite):
            await session.flush()
        await session.rollback()
    async with platform.system_session() as session:
        planted = await session.scalar(select(Case).where(Case.reference == "planted"))
    assert planted is None
