"""``GET /api/v1/items``: the force's evidence in the order it arrived, for polling.

A case-management system keeps the id of the last item it has seen and asks for the items
``after`` it, so it never fetches everything again. Items take their ids in the order their
arrival commits (``exhibit.uploads.ingest`` locks the force first), so polling with the
last id seen neither skips nor repeats an item, however many witnesses upload at once.
"""

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.paging import MAX_PAGE, PAGE, After, Limit, next_page_header, page
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.platform import Platform
from exhibit.uploads.models import Submission

FEED_HELP = (
    "The force's evidence items in the order they arrived, oldest first, "
    f"{PAGE} at a time unless limit says otherwise (at most {MAX_PAGE}). To poll for what "
    "arrived since you last looked, pass the id of the last item you have as after: ids "
    "follow the order of arrival, so no item is skipped or repeated. While more remain, "
    'the Link header gives the next page\'s URL (rel="next"); an empty list means nothing '
    "new. Reading the list is not audited as a view of each item (GET /api/v1/items/{item_id} "
    "is)."
)


class ItemOut(msgspec.Struct):
    """An evidence item as received, with the case and the evidence request it came in on."""

    id: int
    case_id: int
    original_filename: str
    size: int
    sha256: str
    sniffed_type: str
    review_state: ReviewState
    quarantine_reason: str
    received_at: datetime
    exhibit_reference: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    sensitive: bool = False
    request_id: int | None = None
    """The evidence request the witness sent it through (none for an item made otherwise)."""


def with_request_ids(query: Select[EvidenceItem]) -> Select[EvidenceItem, int]:
    """``query`` of items, each paired with the id of the request it arrived through."""
    return query.add_columns(Submission.request_id).outerjoin(
        Submission, Submission.id == EvidenceItem.submission_id
    )


async def items_out(session: AsyncSession, query: Select[EvidenceItem]) -> list[ItemOut]:
    """The API view of the items ``query`` selects, in its order."""
    rows = await session.execute(with_request_ids(query))
    return [
        ItemOut(
            id=item.id,
            case_id=item.case_id,
            original_filename=item.original_filename,
            size=item.size,
            sha256=item.sha256,
            sniffed_type=item.sniffed_type,
            review_state=item.review_state,
            quarantine_reason=item.quarantine_reason,
            received_at=item.received_at,
            exhibit_reference=item.exhibit_reference,
            tags=list(item.tags),
            sensitive=item.sensitive,
            request_id=request_id,
        )
        for item, request_id in rows
    ]


class ItemFeedController(Controller):
    """The force's items in the order they arrived."""

    path = "/items"
    tags = ["items"]

    @get(
        "/",
        opt={"permission": Permission.VIEW_CASES},
        summary="Items in the order they arrived",
        description=FEED_HELP,
        response_headers=[next_page_header("items")],
    )
    async def arrived(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        after: After = 0,
        limit: Limit = PAGE,
    ) -> Response[list[ItemOut]]:
        """The force's items after ``after``, oldest first (``FEED_HELP``)."""
        query = (
            select(EvidenceItem)
            .where(EvidenceItem.id > after)
            .order_by(EvidenceItem.id)
            .limit(limit + 1)
        )
        async with platform.force_session(user.force_id) as session:
            items = await items_out(session, query)
        return page(request, items, limit=limit, cursor="after")
