"""What the officer menu counts for the signed-in user: disposals awaiting their decision.

The count is read with the user on every request of one who may decide (one small query),
kept on the request, and shown by every page rendered for it.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission, may
from exhibit.evidence.models import DisposalRequest, DisposalState
from exhibit.web.officer.pages import DISPOSALS_WAITING, AnyRequest


async def count_for_menu(request: AnyRequest, session: AsyncSession, user: User) -> None:
    """Note on ``request`` how many of the force's disposals await a decision, if ``user``
    may decide them (read through ``session``, scoped to their force)."""
    if not may(user, Permission.APPROVE_DISPOSAL):
        return
    waiting = await session.scalar(
        select(func.count())
        .select_from(DisposalRequest)
        .where(DisposalRequest.state == DisposalState.PENDING)
    )
    request.state[DISPOSALS_WAITING] = waiting or 0
