"""``/cases/{id}/continuity``: a whole case's history for disclosure, a page at a time and
as one CSV.

Every step of the case, its requests, messages, submissions, uploads, items (with their
derivatives and disposal) and shares, in the chain's order, each with the object it
concerns and, where it comes from the audit log, the event's sequence number and hash.
A page reads only its own steps: ``?after=<seq>`` is the page after the force's audit event
``seq`` and ``?before=<seq>`` the page before it (``?page=<n>``, from older links, still
works). The CSV is written in batches as it is read. Viewing a page and downloading the CSV
are audited (``case.continuity_viewed``), as the item's are.
"""

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.db.base import MAX_INTEGER
from exhibit.evidence.continuity import (
    CaseObjects,
    CasePage,
    Step,
    case_event_seq,
    case_objects,
    case_page,
    case_page_before,
)
from exhibit.evidence.models import EvidenceItem
from exhibit.evidence.review import actor_of
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import Share
from exhibit.uploads.models import EvidenceRequest, Submission
from exhibit.web.officer.case_queries import find_case
from exhibit.web.officer.continuity import (
    CSV_COLUMNS,
    PRINT_STYLESHEET,
    csv_headers,
    csv_rows,
    step_cells,
    step_time,
    step_time_utc,
)
from exhibit.web.officer.pages import AnyRequest, page

STEPS_PER_PAGE = 500
"""A page holds this many audit events (a case of 2,000 items has some 10,000)."""
CSV_BATCH = 2000
"""The CSV is read and written this many audit events at a time."""
CASE_CSV_COLUMNS = [*CSV_COLUMNS, "object", "object_name"]
NAMED_KINDS = {"item", "request", "submission", "share"}
"""The kinds of object shown by name; others by kind and id (``upload 7``)."""
Cursor = Annotated[int | None, QueryParameter(ge=0, le=MAX_INTEGER)]
"""An audit event's sequence number in a page's address."""


@dataclass(frozen=True)
class CaseHistory:
    """The case, some steps of its history, and a readable name for each object on them."""

    case: Case
    page: CasePage
    names: dict[str, str]

    def name_of(self, step: Step) -> str:
        """What the step is about, as an officer reads it."""
        return self.names.get(step.concerns, f"{step.object_type} {step.object_id}")


async def _record_view(platform: Platform, user: User, case_id: int, fmt: str) -> Case:
    """The force's case ``case_id`` (404 if it has none), once its viewing is audited.

    The view is committed before the history is read: the force's row, locked while its
    chain is written to, is not held for the reading, and the history holds the view.
    """
    async with force_transaction(platform, user.force_id) as tx:
        case = await find_case(tx.session, case_id)
        await audit.record(
            tx.session,
            user.force_id,
            actor=actor_of(user),
            action="case.continuity_viewed",
            object_type="case",
            object_id=case_id,
            details={"format": fmt},
        )
    return case


async def object_names(session: AsyncSession, case: Case, steps: Sequence[Step]) -> dict[str, str]:
    """A readable name for the case and each item, request, submission and share that
    ``steps`` concern, keyed as ``Step.concerns`` (one query per kind)."""
    names = {f"case:{case.id}": f"Case {case.reference}"}
    named: defaultdict[str, set[int]] = defaultdict(set)
    for step in steps:
        if step.object_type in NAMED_KINDS:
            named[step.object_type].add(int(step.object_id))
    if named["item"]:
        for item_id, reference, filename in await session.execute(
            select(
                EvidenceItem.id, EvidenceItem.exhibit_reference, EvidenceItem.original_filename
            ).where(EvidenceItem.id.in_(named["item"]))
        ):
            names[f"item:{item_id}"] = f"Exhibit {reference}: {filename}" if reference else filename
    if named["request"]:
        for request_id, recipient in await session.execute(
            select(EvidenceRequest.id, EvidenceRequest.recipient_name).where(
                EvidenceRequest.id.in_(named["request"])
            )
        ):
            names[f"request:{request_id}"] = f"Request {request_id} to {recipient}"
    if named["submission"]:
        for submission_id, reference in await session.execute(
            select(Submission.id, Submission.reference).where(
                Submission.id.in_(named["submission"])
            )
        ):
            names[f"submission:{submission_id}"] = f"Submission {reference}"
    if named["share"]:
        for share_id, recipient in await session.execute(
            select(Share.id, Share.recipient).where(Share.id.in_(named["share"]))
        ):
            names[f"share:{share_id}"] = f"Share {share_id} with {recipient}"
    return names


async def _page_of(
    session: AsyncSession,
    objects: CaseObjects,
    after: int | None,
    before: int | None,
    page_number: int | None,
) -> CasePage:
    """The page the address asks for: after or before an event, numbered, or the first."""
    if before is not None:
        return await case_page_before(session, objects, before=before, size=STEPS_PER_PAGE)
    if page_number is not None and page_number > 1:
        after = await case_event_seq(session, objects, (page_number - 1) * STEPS_PER_PAGE)
        if after is None:
            raise NotFoundException(f"the history of case {objects.case_id} is shorter")
    return await case_page(session, objects, after=after or 0, size=STEPS_PER_PAGE)


@get(
    "/cases/{case_id:int}/continuity",
    include_in_schema=False,
    opt={"permission": Permission.VIEW_CASES},
)
async def case_continuity_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
    after: Cursor = None,
    before: Cursor = None,
    page_number: Annotated[int | None, QueryParameter(name="page", ge=1, le=1_000_000)] = None,
) -> Template:
    """``STEPS_PER_PAGE`` steps of the case's history in the chain's order, with links to
    the pages before and after; it prints cleanly. A page past the last is 404."""
    if [after, before, page_number].count(None) < 2:
        raise ValidationException("ask for one page: after an event, before one, or by number")
    case = await _record_view(platform, user, case_id, "html")
    async with platform.force_session(user.force_id) as session:
        objects = await case_objects(session, case_id)
        found = await _page_of(session, objects, after, before, page_number)
        history = CaseHistory(case, found, await object_names(session, case, found.steps))
    if not found.steps:
        raise NotFoundException(f"the history of case {case_id} has no steps there")
    return page(
        request,
        "case_continuity.html",
        user=user,
        case=case,
        history=history,
        steps=found.steps,
        step_time=step_time,
        step_time_utc=step_time_utc,
        print_stylesheet=PRINT_STYLESHEET,
    )


@get(
    "/cases/{case_id:int}/continuity.csv",
    include_in_schema=False,
    opt={"permission": Permission.VIEW_CASES},
)
async def case_continuity_csv(
    platform: NamedDependency[Platform], user: NamedDependency[User], case_id: FromPath[int]
) -> Stream:
    """The case's whole history as CSV, in the chain's order: the item CSV's columns, then
    the object each step concerns (``item:12``, as the audit log and its search name it)
    and its name. Written as it is read, ``CSV_BATCH`` events at a time."""
    case = await _record_view(platform, user, case_id, "csv")
    return Stream(
        _csv_lines(platform, user.force_id, case),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers=csv_headers(f"case-{case_id}-continuity.csv"),
    )


async def _csv_lines(platform: Platform, force_id: int, case: Case) -> AsyncIterator[bytes]:
    """The CSV's header, then its rows a batch at a time, each batch read in a session of
    its own (the case's objects are gathered once, with the first)."""
    yield csv_rows([CASE_CSV_COLUMNS])
    objects: CaseObjects | None = None
    after = 0
    while True:
        async with platform.force_session(force_id) as session:
            objects = objects or await case_objects(session, case.id)
            batch = await case_page(session, objects, after=after, size=CSV_BATCH)
            history = CaseHistory(case, batch, await object_names(session, case, batch.steps))
        yield csv_rows(
            [*step_cells(step), step.concerns, history.name_of(step)] for step in batch.steps
        )
        if batch.later is None:
            return
        after = batch.later


CASE_CONTINUITY_HANDLERS = [case_continuity_page, case_continuity_csv]
