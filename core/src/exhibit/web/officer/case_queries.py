"""What the case pages show, read through a force-scoped session (another force's rows are
invisible, so their ids simply are not found)."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, Row, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from exhibit.accounts.models import User
from exhibit.cases.models import Case, CaseStatus
from exhibit.cases.visits import CaseVisit
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.notifications.history import MessageHistory, request_messages
from exhibit.notifications.models import Notification
from exhibit.uploads.models import EvidenceRequest, RequestState, Submission
from exhibit.uploads.requests import CLOSED_STATES

CASES_PER_PAGE = 50
SORT_BY_ARRIVAL = "arrival"


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
    """A case in the list, with how many requests and items it has, how many of those items
    are waiting for review, how many arrived since the viewer last opened it, and when the
    latest arrived."""

    case: Case
    requests: int
    items: int
    officer: str = ""
    waiting: int = 0
    new: int = 0
    latest_arrival: datetime | None = None


@dataclass(frozen=True)
class ItemFigures:
    """How many items a case has, waiting for review and new to the viewer; the latest's
    arrival."""

    items: int = 0
    waiting: int = 0
    new: int = 0
    latest_arrival: datetime | None = None


@dataclass(frozen=True)
class SubmissionRow:
    """What a witness sent through a request, under the reference on their receipt."""

    reference: str
    completed_at: datetime | None
    items: int


@dataclass(frozen=True)
class RequestRow:
    """A request on a case and the latest news of its message."""

    request: EvidenceRequest
    message_status: str | None
    message_channel: str | None
    messages: tuple[MessageHistory, ...] = ()
    submissions: tuple[SubmissionRow, ...] = ()

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


@dataclass(frozen=True)
class CaseSearch:
    """What the case list is filtered by (every field optional)."""

    reference: str = ""
    officer: str = ""
    status: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    waiting: bool = False
    """Only cases with evidence waiting for review."""
    sort: str = ""
    """``arrival``: the case whose latest item arrived last first; otherwise newest first."""

    @property
    def by_arrival(self) -> bool:
        """True when the list is in order of latest arrival rather than of opening."""
        return self.sort == SORT_BY_ARRIVAL

    @property
    def filtered(self) -> bool:
        """True when the search leaves some cases out (the order leaves none out)."""
        return replace(self, sort="") != CaseSearch()

    def query_string(self, **extra: str) -> str:
        """The search (and ``extra``, such as a page number) as a URL query, for page links."""
        values = {
            "reference": self.reference,
            "officer": self.officer,
            "status": self.status,
            "opened_from": self.opened_from.isoformat() if self.opened_from else "",
            "opened_to": self.opened_to.isoformat() if self.opened_to else "",
            "waiting": "yes" if self.waiting else "",
            "sort": "arrival" if self.by_arrival else "",
        }
        return urlencode({k: v for k, v in (values | extra).items() if v})


@dataclass(frozen=True)
class CasePage:
    """One page of the case list, and how many cases match the search in all."""

    rows: list[CaseRow]
    number: int
    pages: int
    total: int

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first case."""
        return (self.number - 1) * CASES_PER_PAGE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The position of the page's last case."""
        return self.first + len(self.rows) - 1 if self.rows else 0


def _search_conditions(search: CaseSearch) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if search.reference.strip():
        text = search.reference.strip()
        # Submission references are stored in capitals, so this matches any case of letters
        # and still uses the unique index.
        submitted = (
            select(EvidenceRequest.case_id)
            .join(Submission, Submission.request_id == EvidenceRequest.id)
            .where(Submission.reference == text.upper())
        )
        conditions.append(
            func.lower(Case.reference).contains(text.lower(), autoescape=True)
            | Case.id.in_(submitted)
        )
    if search.officer.strip():
        wanted = search.officer.strip().lower()
        officers = select(User.id).where(
            func.lower(User.name).contains(wanted, autoescape=True)
            | func.lower(User.email).contains(wanted, autoescape=True)
        )
        conditions.append(Case.officer_id.in_(officers))
    if search.status in {s.value for s in CaseStatus}:
        conditions.append(Case.status == CaseStatus(search.status))
    if search.opened_from:
        conditions.append(Case.created_at >= _midnight(search.opened_from))
    # The calendar's last day has no day after it: everything opened is on or before it.
    if search.opened_to and search.opened_to < date.max:
        conditions.append(Case.created_at < _midnight(search.opened_to + timedelta(days=1)))
    if search.waiting:
        waiting = select(EvidenceItem.case_id).where(
            EvidenceItem.review_state == ReviewState.PENDING
        )
        conditions.append(Case.id.in_(waiting))
    return conditions


async def list_cases(
    session: AsyncSession, search: CaseSearch | str = "", page: int = 1, *, viewer_id: int
) -> CasePage:
    """A page of the force's cases, newest first (or latest arrival first), filtered by
    reference text (or a submission's exact reference), officer name or email, status, the
    date opened (inclusive, UK dates compared in UTC) and whether evidence is waiting for
    review; each with what arrived since ``viewer_id`` last opened it."""
    if isinstance(search, str):
        search = CaseSearch(reference=search)
    conditions = _search_conditions(search)
    total = await session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    pages, number = _paged(total, CASES_PER_PAGE, page)
    query = (
        select(Case)
        .where(*conditions)
        .order_by(*_case_order(search))
        .limit(CASES_PER_PAGE)
        .offset((number - 1) * CASES_PER_PAGE)
    )
    cases = (await session.scalars(query)).all()
    ids = [c.id for c in cases]
    requests = await _counts(session, EvidenceRequest.case_id, ids)
    figures = await _item_figures(session, ids, viewer_id)
    officer_ids = {c.officer_id for c in cases if c.officer_id}
    names = {}
    if officer_ids:
        rows = await session.execute(select(User.id, User.name).where(User.id.in_(officer_ids)))
        names = {user_id: name for user_id, name in rows}
    shown = []
    for c in cases:
        found = figures.get(c.id, ItemFigures())
        officer = names.get(c.officer_id, "") if c.officer_id else ""
        shown.append(
            CaseRow(
                c,
                requests.get(c.id, 0),
                found.items,
                officer,
                found.waiting,
                found.new,
                found.latest_arrival,
            )
        )
    return CasePage(shown, number, pages, total)


def _case_order(search: CaseSearch) -> tuple[ColumnElement[Any], ...]:
    if not search.by_arrival:
        return (Case.id.desc(),)
    # Per case, the last entry of the index on (case, time received): cases with nothing
    # yet come after every case that has something.
    latest = (
        select(func.max(EvidenceItem.received_at))
        .where(EvidenceItem.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    return (latest.is_(None), latest.desc(), Case.id.desc())


async def _item_figures(
    session: AsyncSession, case_ids: list[int], viewer_id: int
) -> dict[int, ItemFigures]:
    """One aggregate over the cases' items, with the viewer's visit to each case joined in:
    an item is new if it arrived after the viewer last opened its case, or they never did."""
    if not case_ids:
        return {}
    seen = CaseVisit.seen_at
    new = or_(seen.is_(None), EvidenceItem.received_at > seen)
    pending = EvidenceItem.review_state == ReviewState.PENDING
    rows = await session.execute(
        select(
            EvidenceItem.case_id,
            func.count(),
            func.count(case((pending, 1))),
            func.count(case((new, 1))),
            func.max(EvidenceItem.received_at),
        )
        .outerjoin(
            CaseVisit,
            and_(CaseVisit.case_id == EvidenceItem.case_id, CaseVisit.user_id == viewer_id),
        )
        .where(EvidenceItem.case_id.in_(case_ids))
        .group_by(EvidenceItem.case_id)
    )
    return {
        case_id: ItemFigures(items, waiting, fresh, latest)
        for case_id, items, waiting, fresh, latest in rows
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


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
    """The requests on a case, newest first, each with its latest message's status and the
    witness's submissions (with the reference on their receipt)."""
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
    histories = await request_messages(session, [r.id for r in requests])
    submissions = await _submissions(session, [r.id for r in requests])
    rows = []
    for request in requests:
        message = latest.get(request.id)
        rows.append(
            RequestRow(
                request,
                message.status.value if message else None,
                message.channel if message else None,
                tuple(histories.get(request.id, ())),
                tuple(submissions.get(request.id, ())),
            )
        )
    return rows


async def _submissions(
    session: AsyncSession, request_ids: list[int]
) -> dict[int, list[SubmissionRow]]:
    if not request_ids:
        return {}
    rows = await session.execute(
        select(
            Submission.request_id,
            Submission.reference,
            Submission.completed_at,
            func.count(EvidenceItem.id),
        )
        .outerjoin(EvidenceItem, EvidenceItem.submission_id == Submission.id)
        .where(Submission.request_id.in_(request_ids))
        .group_by(
            Submission.id, Submission.request_id, Submission.reference, Submission.completed_at
        )
        .order_by(Submission.id)
    )
    found: dict[int, list[SubmissionRow]] = {}
    for request_id, reference, completed_at, items in rows:
        found.setdefault(request_id, []).append(SubmissionRow(reference, completed_at, items))
    return found


# Only what the case page shows: plain rows, no ORM objects, one query however many items.
ITEM_COLUMNS = (
    EvidenceItem.id,
    EvidenceItem.original_filename,
    EvidenceItem.exhibit_reference,
    EvidenceItem.size,
    EvidenceItem.sha256,
    EvidenceItem.sniffed_type,
    EvidenceItem.review_state,
    EvidenceItem.quarantine_reason,
    EvidenceItem.tags,
    EvidenceItem.sensitive,
    EvidenceItem.received_at,
)


ITEMS_PER_PAGE = 200


@dataclass(frozen=True)
class ItemPage:
    """One page of a case's items, newest first, how many there are in each state, and how
    many arrived after ``new_since`` (all of them when it is None: never opened)."""

    rows: Sequence[Row[Any]]
    number: int
    pages: int
    total: int
    counts: dict[str, int]
    new: int = 0
    new_since: datetime | None = None

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first item."""
        return (self.number - 1) * ITEMS_PER_PAGE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The position of the page's last item."""
        return self.first + len(self.rows) - 1 if self.rows else 0

    def is_new(self, received_at: datetime) -> bool:
        """True for an item that arrived after the viewer last opened the case."""
        return self.new_since is None or received_at > self.new_since


async def case_items(
    session: AsyncSession, case_id: int, page: int = 1, new_since: datetime | None = None
) -> ItemPage:
    """A page of the evidence that arrived on a case, newest first (``ITEM_COLUMNS`` rows),
    and how many items arrived after ``new_since`` (None: all are new).

    Two queries however many items: the counts per review state (new ones among them), and
    the page's rows (an index on case, time received and id serves the order).
    """
    new_ones = (
        func.count(case((EvidenceItem.received_at > new_since, 1))) if new_since else func.count()
    )
    counted = await session.execute(
        select(EvidenceItem.review_state, func.count(), new_ones)
        .where(EvidenceItem.case_id == case_id)
        .group_by(EvidenceItem.review_state)
    )
    counts = dict.fromkeys((s.value for s in ReviewState), 0)
    new = 0
    for state, count, arrived in counted:
        counts[state.value] = count
        new += arrived
    total = sum(counts.values())
    pages, number = _paged(total, ITEMS_PER_PAGE, page)
    query = (
        select(*ITEM_COLUMNS)
        .where(EvidenceItem.case_id == case_id)
        .order_by(EvidenceItem.received_at.desc(), EvidenceItem.id.desc())
        .limit(ITEMS_PER_PAGE)
        .offset((number - 1) * ITEMS_PER_PAGE)
    )
    rows = cast("Sequence[Row[Any]]", (await session.execute(query)).all())
    return ItemPage(rows, number, pages, total, counts, new, new_since)


def _paged(total: int, per_page: int, asked: int) -> tuple[int, int]:
    """How many pages ``total`` rows fill (at least one), and the page to show of those asked."""
    pages = max(1, -(-total // per_page))
    return pages, min(max(asked, 1), pages)
