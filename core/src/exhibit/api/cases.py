"""``/api/v1/cases``: cases, the evidence requests on them, and the items that arrived."""

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.errors import domain_rules_as_400
from exhibit.api.idempotency.route import IdempotencyKeyHeader, idempotent
from exhibit.api.item_feed import ItemOut, items_out
from exhibit.api.paging import PAGE, Before, Limit, next_page_header, page, paged_help
from exhibit.api.requests import RequestOut, request_out
from exhibit.cases.models import Case, CaseStatus
from exhibit.cases.service import open_case
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest
from exhibit.uploads.requests import NewRequest, create_request

LIST_HELP = paged_help("The force's cases", "newest first")
REQUESTS_HELP = paged_help("The evidence requests on a case", "newest first")
ITEMS_HELP = paged_help("The evidence that arrived on a case", "newest first")
REFERENCE_HELP = (
    "Only the case with this reference, ignoring capitals (an empty list if none): e.g. to "
    "find the case a retried POST /api/v1/cases was refused for as already existing."
)
OPEN_HELP = (
    "Open a case under the force's own reference, unique in the force ignoring capitals. "
    'A reference already taken is refused (400, "case ... already exists"): a client that '
    "retries after a timeout without an Idempotency-Key finds the case it opened with "
    "GET /api/v1/cases?reference=..."
)


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A case to open, under the force's own reference."""

    reference: str
    title: str = ""


class CaseOut(msgspec.Struct):
    """A case."""

    id: int
    reference: str
    title: str
    status: CaseStatus
    created_at: datetime


class RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Ask a witness for evidence. Limits and expiry default to the force's."""

    recipient_name: str
    channels: list[str]
    phone: str | None = None
    email: str | None = None
    message: str = ""
    incident_at: datetime | None = None
    incident_place: str = ""
    max_files: int | None = None
    max_file_bytes: int | None = None
    expires_in_days: int | None = None


def case_out(case: Case) -> CaseOut:
    """The API view of a case."""
    return CaseOut(case.id, case.reference, case.title, case.status, case.created_at)


class CasesController(Controller):
    """Cases of the caller's force."""

    path = "/cases"
    tags = ["cases"]

    @get(
        "/",
        opt={"permission": Permission.VIEW_CASES},
        description=LIST_HELP,
        response_headers=[next_page_header("cases")],
    )
    async def list_cases(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        limit: Limit = PAGE,
        before: Before = None,
        reference: Annotated[str | None, Parameter(description=REFERENCE_HELP)] = None,
    ) -> Response[list[CaseOut]]:
        """The force's cases, newest first, a page at a time (``exhibit.api.paging``)."""
        query = select(Case).order_by(Case.id.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(Case.id < before)
        if reference is not None:
            query = query.where(func.lower(Case.reference) == func.lower(reference))
        async with platform.force_session(user.force_id) as session:
            cases = [case_out(c) for c in await session.scalars(query)]
        kept = {"reference": reference} if reference is not None else {}
        return page(request, cases, limit=limit, cursor="before", kept=kept)

    @idempotent
    @post("/", opt={"permission": Permission.MANAGE_REQUESTS}, description=OPEN_HELP)
    async def open(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        data: JSONBody[CaseIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> CaseOut:
        """Open a case."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                case = await open_case(
                    tx.session,
                    user.force_id,
                    reference=data.reference,
                    title=data.title,
                    officer_id=user.id,
                    actor=f"user:{user.id}",
                )
        return case_out(case)

    @get("/{case_id:int}", opt={"permission": Permission.VIEW_CASES})
    async def show(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
    ) -> CaseOut:
        """One case of the force; 404 for any other."""
        async with platform.force_session(user.force_id) as session:
            return case_out(await find_case(session, case_id))

    @get(
        "/{case_id:int}/requests",
        opt={"permission": Permission.VIEW_CASES},
        description=REQUESTS_HELP,
        response_headers=[next_page_header("requests")],
    )
    async def list_requests(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        limit: Limit = PAGE,
        before: Before = None,
    ) -> Response[list[RequestOut]]:
        """The evidence requests on a case, newest first, a page at a time."""
        query = (
            select(EvidenceRequest)
            .where(EvidenceRequest.case_id == case_id)
            .order_by(EvidenceRequest.id.desc())
            .limit(limit + 1)
        )
        if before is not None:
            query = query.where(EvidenceRequest.id < before)
        async with platform.force_session(user.force_id) as session:
            await find_case(session, case_id)
            requests = [request_out(r) for r in await session.scalars(query)]
        return page(request, requests, limit=limit, cursor="before")

    @idempotent
    @post("/{case_id:int}/requests", opt={"permission": Permission.MANAGE_REQUESTS})
    async def create(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        data: JSONBody[RequestIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> RequestOut:
        """Ask a witness for evidence: creates the link and queues the message."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                case = await find_case(tx.session, case_id)
                force = await tx.session.get(Force, user.force_id)
                assert force is not None
                request, _ = await create_request(
                    tx.session,
                    platform.secret_box,
                    force,
                    case,
                    NewRequest(**msgspec.structs.asdict(data) | {"channels": tuple(data.channels)}),
                    officer_id=user.id,
                    actor=f"user:{user.id}",
                    public_url=platform.settings.public_url,
                )
        return request_out(request)

    @get(
        "/{case_id:int}/items",
        opt={"permission": Permission.VIEW_CASES},
        description=ITEMS_HELP,
        response_headers=[next_page_header("items")],
    )
    async def list_items(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        limit: Limit = PAGE,
        before: Before = None,
    ) -> Response[list[ItemOut]]:
        """The evidence that arrived on a case, newest first, a page at a time."""
        query = (
            select(EvidenceItem)
            .where(EvidenceItem.case_id == case_id)
            .order_by(EvidenceItem.id.desc())
            .limit(limit + 1)
        )
        if before is not None:
            query = query.where(EvidenceItem.id < before)
        async with platform.force_session(user.force_id) as session:
            await find_case(session, case_id)
            items = await items_out(session, query)
        return page(request, items, limit=limit, cursor="before")


async def find_case(session: AsyncSession, case_id: int) -> Case:
    """The force's case ``case_id`` in a force-scoped ``session``; 404 for any other."""
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFoundException(f"no case {case_id}")
    return case
