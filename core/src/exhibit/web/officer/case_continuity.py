"""``/cases/{id}/continuity``: a whole case's history for disclosure, a page at a time and
as one CSV.

Every step of the case, its requests, messages, submissions, uploads, items (with their
derivatives and disposal) and shares, oldest first, each with the object it concerns and,
where it comes from the audit log, the event's sequence number and hash. Viewing a page
and downloading the CSV are audited (``case.continuity_viewed``), as the item's are.
"""

from dataclasses import dataclass
from typing import Annotated

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.evidence.continuity import Step, case_continuity
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
    csv_download,
    step_cells,
    step_time,
    step_time_utc,
)
from exhibit.web.officer.pages import AnyRequest, page

STEPS_PER_PAGE = 500
"""A page holds this many steps (a case of 2,000 items has some 10,000); the CSV has all."""
CASE_CSV_COLUMNS = [*CSV_COLUMNS, "object", "object_name"]


@dataclass(frozen=True)
class CaseHistory:
    """The case, every step of its history, and a readable name for each object."""

    case: Case
    steps: list[Step]
    names: dict[str, str]

    def name_of(self, step: Step) -> str:
        """What the step is about, as an officer reads it."""
        return self.names.get(step.concerns, f"{step.object_type} {step.object_id}")


async def _history(platform: Platform, user: User, case_id: int, fmt: str) -> CaseHistory:
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
        steps = await case_continuity(tx.session, case_id)
        names = await object_names(tx.session, case)
    return CaseHistory(case, steps, names)


async def object_names(session: AsyncSession, case: Case) -> dict[str, str]:
    """A readable name for the case and each of its items, requests, submissions and
    shares, keyed as ``Step.concerns`` (one query per kind)."""
    names = {f"case:{case.id}": f"Case {case.reference}"}
    items = await session.execute(
        select(
            EvidenceItem.id, EvidenceItem.exhibit_reference, EvidenceItem.original_filename
        ).where(EvidenceItem.case_id == case.id)
    )
    for item_id, reference, filename in items:
        names[f"item:{item_id}"] = f"Exhibit {reference}: {filename}" if reference else filename
    requests = select(EvidenceRequest.id).where(EvidenceRequest.case_id == case.id)
    for request_id, recipient in await session.execute(
        select(EvidenceRequest.id, EvidenceRequest.recipient_name).where(
            EvidenceRequest.id.in_(requests)
        )
    ):
        names[f"request:{request_id}"] = f"Request {request_id} to {recipient}"
    for submission_id, reference in await session.execute(
        select(Submission.id, Submission.reference).where(Submission.request_id.in_(requests))
    ):
        names[f"submission:{submission_id}"] = f"Submission {reference}"
    for share_id, recipient in await session.execute(
        select(Share.id, Share.recipient).where(Share.case_id == case.id)
    ):
        names[f"share:{share_id}"] = f"Share {share_id} with {recipient}"
    return names


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
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)] = 1,
) -> Template:
    """The case's history, ``STEPS_PER_PAGE`` steps a page, oldest first; it prints cleanly.
    A page past the last is 404."""
    history = await _history(platform, user, case_id, "html")
    pages = max(1, -(-len(history.steps) // STEPS_PER_PAGE))
    if page_number > pages:
        raise NotFoundException(f"the history of case {case_id} has {pages} page(s)")
    first = (page_number - 1) * STEPS_PER_PAGE
    return page(
        request,
        "case_continuity.html",
        user=user,
        case=history.case,
        history=history,
        steps=history.steps[first : first + STEPS_PER_PAGE],
        total=len(history.steps),
        first=first + 1,
        page_number=page_number,
        pages=pages,
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
) -> Response[bytes]:
    """The case's whole history as CSV: the item CSV's columns, then the object each step
    concerns (``item:12``, as the audit log and its search name it) and its name."""
    history = await _history(platform, user, case_id, "csv")
    return csv_download(
        CASE_CSV_COLUMNS,
        ([*step_cells(step), step.concerns, history.name_of(step)] for step in history.steps),
        f"case-{case_id}-continuity.csv",
    )


CASE_CONTINUITY_HANDLERS = [case_continuity_page, case_continuity_csv]
