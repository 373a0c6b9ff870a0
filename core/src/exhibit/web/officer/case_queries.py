"""What the case pages show, read through a force-scoped session (another force's rows are
invisible, so their ids simply are not found)."""

from dataclasses import dataclass

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.models import Force
from exhibit.notifications.models import Notification
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.uploads.requests import CLOSED_STATES

LIST_LIMIT = 200


async def find_case(session: AsyncSession, case_id: int) -> Case:
    """The force's case ``case_id``; 404 if it is not one of this force's."""
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFoundException(f"no case {case_id}")
    return case


async def own_force(session: AsyncSession, force_id: int) -> Force:
    """The signed-in user's own force."""
    force = await session.get(Force, force_id)
    assert force is not None  # a user's force row is never deleted (RESTRICT)
    return force


@dataclass(frozen=True)
class CaseRow:
    """A case in the list, with how many requests and items it has."""

    case: Case
    requests: int
    items: int


@dataclass(frozen=True)
class RequestRow:
    """A request on a case and the latest news of its message."""

    request: EvidenceRequest
    message_status: str | None
    message_channel: str | None

    @property
    def expired(self) -> bool:
        """True once the link's time is up, even before the expiry sweep has marked it."""
        return self.request.state == RequestState.EXPIRED or self.request.expires_at <= utcnow()

    @property
    def state(self) -> str:
        """The state to show the officer."""
        live = self.request.state not in CLOSED_STATES
        return "expired" if live and self.expired else self.request.state.value

    @property
    def can_resend(self) -> bool:
        """A new link can be sent only while the request is live."""
        return self.request.state not in CLOSED_STATES and not self.expired

    @property
    def can_extend(self) -> bool:
        """Extending also reopens an expired request."""
        return self.request.state not in (RequestState.SUBMITTED, RequestState.REVOKED)

    @property
    def can_revoke(self) -> bool:
        """Any request not already revoked can be stopped."""
        return self.request.state != RequestState.REVOKED


async def list_cases(session: AsyncSession, reference: str = "") -> list[CaseRow]:
    """The force's cases, newest first, optionally those whose reference contains a text."""
    query = select(Case).order_by(Case.id.desc()).limit(LIST_LIMIT)
    if reference.strip():
        wanted = reference.strip().lower()
        query = query.where(func.lower(Case.reference).contains(wanted, autoescape=True))
    cases = (await session.scalars(query)).all()
    ids = [c.id for c in cases]
    requests = await _counts(session, EvidenceRequest.case_id, ids)
    items = await _counts(session, EvidenceItem.case_id, ids)
    return [CaseRow(c, requests.get(c.id, 0), items.get(c.id, 0)) for c in cases]


async def _counts(
    session: AsyncSession, column: InstrumentedAttribute[int], case_ids: list[int]
) -> dict[int, int]:
    if not case_ids:
        return {}
    rows = await session.execute(
        select(column, func.count()).where(column.in_(case_ids)).group_by(column)
    )
    return {case_id: count for case_id, count in rows}


async def case_requests(session: AsyncSession, case_id: int) -> list[RequestRow]:
    """The requests on a case, newest first, each with its latest message's status."""
    requests = (
        await session.scalars(
            select(EvidenceRequest)
            .where(EvidenceRequest.case_id == case_id)
            .order_by(EvidenceRequest.id.desc())
        )
    ).all()
    latest: dict[int, Notification] = {}
    if requests:
        notifications = await session.scalars(
            select(Notification)
            .where(Notification.request_id.in_([r.id for r in requests]))
            .order_by(Notification.id)
        )
        latest = {n.request_id: n for n in notifications if n.request_id is not None}
    rows = []
    for request in requests:
        message = latest.get(request.id)
        rows.append(
            RequestRow(
                request,
                message.status.value if message else None,
                message.channel if message else None,
            )
        )
    return rows


async def case_items(session: AsyncSession, case_id: int) -> list[EvidenceItem]:
    """The evidence that arrived on a case, newest first."""
    query = (
        select(EvidenceItem)
        .where(EvidenceItem.case_id == case_id)
        .order_by(EvidenceItem.received_at.desc(), EvidenceItem.id.desc())
    )
    return list((await session.scalars(query)).all())
