"""``/api/v1/items``: one evidence item, the review actions on it, its download and history.

The same rules as the web app: every action is audited with its change, a refused action
(no reason, wrong state) is a 400 that changes nothing, another force's ids are 404.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Response, get, post, put, route
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.errors import domain_rules_as_400, shares_acknowledged_in_body
from exhibit.api.idempotency.route import IdempotencyKeyHeader, idempotent
from exhibit.api.row_ids import RowId
from exhibit.audit import log as audit
from exhibit.evidence import quarantine, review
from exhibit.evidence.continuity import continuity
from exhibit.evidence.disposal import request_disposal
from exhibit.evidence.models import Category, EvidenceItem, ReviewState
from exhibit.forces.transaction import ForceTransaction, force_transaction
from exhibit.media.pipeline import process_again
from exhibit.platform import Platform
from exhibit.web.officer.downloads import METHODS, Gone, RangeRefused, download_file
from exhibit.web.officer.item_queries import find_item, original_file
from exhibit.web.officer.pages import AnyRequest


class ItemDetail(msgspec.Struct):
    """An evidence item and the officer's decisions on it."""

    id: int
    case_id: int
    original_filename: str
    caption: str
    size: int
    sha256: str
    sniffed_type: str
    declared_type: str
    capture_metadata: dict[str, Any]
    review_state: ReviewState
    exhibit_reference: str | None
    decline_reason: str
    quarantine_reason: str
    tags: list[str]
    category_id: int | None
    sensitive: bool
    retain_until: datetime | None
    received_at: datetime
    disposed_at: datetime | None


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A reason (for declining or releasing from quarantine)."""

    reason: str


class DisposalIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the item should be disposed of.

    ``shared_acknowledged`` confirms knowing that the item has been shared with a partner:
    where the force needs no approval the disposal is carried out at once, and an item with
    shares that are not revoked is then refused without it.
    """

    reason: str
    shared_acknowledged: bool = False


class TagsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The item's tags, replacing those it has."""

    tags: list[str]


class CategoryIn(msgspec.Struct, forbid_unknown_fields=True):
    """One of the force's categories, or null for none."""

    category_id: RowId | None


class SensitiveIn(msgspec.Struct, forbid_unknown_fields=True):
    """Mark sensitive / do not disclose, or clear the mark."""

    sensitive: bool
    reason: str = ""


class StepOut(msgspec.Struct):
    """One step of the continuity history."""

    at: datetime
    action: str
    description: str
    by: str
    actor: str
    reason: str
    details: str
    audit_seq: int | None
    audit_hash: str


def item_detail(item: EvidenceItem) -> ItemDetail:
    """The API's view of an item."""
    return ItemDetail(
        id=item.id,
        case_id=item.case_id,
        original_filename=item.original_filename,
        caption=item.caption,
        size=item.size,
        sha256=item.sha256,
        sniffed_type=item.sniffed_type,
        declared_type=item.declared_type,
        capture_metadata=item.capture_metadata,
        review_state=item.review_state,
        exhibit_reference=item.exhibit_reference,
        decline_reason=item.decline_reason,
        quarantine_reason=item.quarantine_reason,
        tags=list(item.tags),
        category_id=item.category_id,
        sensitive=item.sensitive,
        retain_until=item.retain_until,
        received_at=item.received_at,
        disposed_at=item.disposed_at,
    )


ORIGINAL_HELP = (
    "The original as the witness sent it, byte for byte, in its own media type (the item's "
    "sniffed_type), as an attachment. reason (why you download it) is required and audited. "
    "A Range header asks for part of it (206); a disposed item is 410."
)
FILE_BYTES = ResponseSpec(
    data_container=bytes,
    media_type="application/octet-stream",
    description="The original's bytes (Content-Type is the item's own type)",
)

Change = Callable[[ForceTransaction, EvidenceItem], Awaitable[object]]


class ProcessingQueued(msgspec.Struct):
    """The media processors queued to run on the item again."""

    item_id: int
    processors: list[str]


async def _change(platform: Platform, user: User, item_id: int, change: Change) -> ItemDetail:
    with domain_rules_as_400():
        async with force_transaction(platform, user.force_id) as tx:
            item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
            if item is None:
                raise NotFoundException(f"no item {item_id}")
            await change(tx, item)
            await tx.session.flush()
            detail = item_detail(item)
    return detail


class ItemsController(Controller):
    """Evidence items of the caller's force."""

    path = "/items"
    tags = ["items"]

    @get("/{item_id:int}", opt={"permission": Permission.VIEW_CASES})
    async def show(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
    ) -> ItemDetail:
        """One item (reading it is audited as a view)."""
        async with force_transaction(platform, user.force_id) as tx:
            item = await find_item(tx.session, item_id)
            await audit.record(
                tx.session,
                user.force_id,
                actor=review.actor_of(user),
                action="item.viewed",
                object_type="item",
                object_id=item_id,
                details={"via": "api"},
            )
            return item_detail(item)

    @post("/{item_id:int}/accept", opt={"permission": Permission.REVIEW_EVIDENCE})
    async def accept(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
    ) -> ItemDetail:
        """Accept the item: it gets the next exhibit reference on its case."""
        return await _change(platform, user, item_id, lambda tx, i: review.accept(tx, i, user))

    @post("/{item_id:int}/decline", opt={"permission": Permission.REVIEW_EVIDENCE})
    async def decline(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        data: JSONBody[ReasonIn],
    ) -> ItemDetail:
        """Decline the item with a reason; it is kept for the force's retention period."""
        return await _change(
            platform, user, item_id, lambda tx, i: review.decline(tx, i, user, data.reason)
        )

    @idempotent
    @post("/{item_id:int}/process-again", opt={"permission": Permission.REVIEW_EVIDENCE})
    async def run_again(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> ProcessingQueued:
        """Run again the media processing that failed on the item (after the force's tools
        are mended), audited ``item.processing_requested``; a success is never repeated. 400
        when nothing failed; the item's history shows the outcome once the job has run."""
        queued: list[str] = []

        async def change(tx: ForceTransaction, item: EvidenceItem) -> None:
            queued.extend(await process_again(tx, platform, item, review.actor_of(user)))
            if not queued:
                raise ValueError("there is nothing to process again: no failed processing remains")

        await _change(platform, user, item_id, change)
        return ProcessingQueued(item_id, queued)

    @post("/{item_id:int}/release", opt={"permission": Permission.RELEASE_QUARANTINE})
    async def release(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        data: JSONBody[ReasonIn],
    ) -> ItemDetail:
        """Release a quarantined item into review, saying why it may be (audited); what was
        found stays in ``quarantine_reason``."""
        return await _change(
            platform,
            user,
            item_id,
            lambda tx, i: quarantine.release(platform, tx, i, user, data.reason),
        )

    @put("/{item_id:int}/tags", opt={"permission": Permission.REVIEW_EVIDENCE})
    async def set_tags(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        data: JSONBody[TagsIn],
    ) -> ItemDetail:
        """Replace the item's tags."""
        return await _change(
            platform, user, item_id, lambda tx, i: review.set_tags(tx, i, user, data.tags)
        )

    @put("/{item_id:int}/category", opt={"permission": Permission.REVIEW_EVIDENCE})
    async def set_category(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        data: JSONBody[CategoryIn],
    ) -> ItemDetail:
        """Put the item in one of the force's categories (or none)."""

        async def change(tx: ForceTransaction, item: EvidenceItem) -> None:
            category = None
            if data.category_id is not None:
                category = await tx.session.get(Category, data.category_id)
                if category is None:
                    raise review.ReviewRefused(f"your force has no category {data.category_id}")
            await review.categorise(tx, item, user, category)

        return await _change(platform, user, item_id, change)

    @put("/{item_id:int}/sensitive", opt={"permission": Permission.REVIEW_EVIDENCE})
    async def set_sensitive(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        data: JSONBody[SensitiveIn],
    ) -> ItemDetail:
        """Mark the item sensitive / do not disclose, or clear the mark."""
        return await _change(
            platform,
            user,
            item_id,
            lambda tx, i: review.set_sensitive(tx, i, user, data.sensitive, data.reason),
        )

    @idempotent
    @post("/{item_id:int}/disposal", opt={"permission": Permission.REQUEST_DISPOSAL})
    async def dispose(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        data: JSONBody[DisposalIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> ItemDetail:
        """Ask for disposal (carried out at once where the force needs no approval; an item
        shared with a partner then needs ``"shared_acknowledged": true``)."""

        async def change(tx: ForceTransaction, item: EvidenceItem) -> None:
            with shares_acknowledged_in_body():
                await request_disposal(
                    platform,
                    tx,
                    item,
                    user,
                    data.reason,
                    shared_acknowledged=data.shared_acknowledged,
                )

        return await _change(platform, user, item_id, change)

    @get("/{item_id:int}/continuity", opt={"permission": Permission.VIEW_CASES})
    async def history(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
    ) -> list[StepOut]:
        """The item's continuity history, oldest first."""
        async with force_transaction(platform, user.force_id) as tx:
            item = await find_item(tx.session, item_id)
            await audit.record(
                tx.session,
                user.force_id,
                actor=review.actor_of(user),
                action="item.continuity_viewed",
                object_type="item",
                object_id=item_id,
                details={"format": "api"},
            )
            steps = await continuity(tx.session, item)
        return [
            StepOut(
                s.at,
                s.action,
                s.label,
                s.who,
                s.actor,
                s.reason,
                s.detail,
                s.audit_seq,
                s.audit_hash,
            )
            for s in steps
        ]

    @route(
        "/{item_id:int}/original",
        http_method=METHODS,
        opt={"permission": Permission.DOWNLOAD_EVIDENCE},
        include_in_schema=True,
        description=ORIGINAL_HELP,
        responses={
            200: FILE_BYTES,
            206: ResponseSpec(
                data_container=bytes,
                media_type="application/octet-stream",
                description="The part of the original a Range header asked for",
            ),
        },
        raises=[Gone, RangeRefused],
    )
    async def original(
        self,
        request: AnyRequest,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        item_id: FromPath[int],
        reason: FromQuery[str] = "",
    ) -> Response[Any]:
        """The original, byte for byte, with Range support; ``reason`` is required."""
        async with platform.force_session(user.force_id) as session:
            item = await find_item(session, item_id)
        if item.disposed_at is not None:
            raise Gone(detail=f"item {item_id} was disposed of; its bytes no longer exist")
        return await download_file(
            request, platform, user, item, original_file(item), reason, derivative=None
        )
