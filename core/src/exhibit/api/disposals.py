"""``/api/v1/disposals``: disposal requests awaiting a decision, and a second person's
decision on one (as the web app's disposal pages make it: same rules, same audit events).

Approving destroys the item's stored bytes, so it needs the approver's reason, and, for an
item shared with a partner, ``"shared_acknowledged": true``.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.errors import domain_rules_as_400, shares_acknowledged_in_body
from exhibit.api.paging import PAGE, After, Limit, next_page_header, page, paged_help
from exhibit.evidence.disposal import approve_disposal, refuse_disposal
from exhibit.evidence.models import DisposalRequest, DisposalState
from exhibit.evidence.review import MAX_REASON
from exhibit.forces.transaction import ForceTransaction, force_transaction
from exhibit.platform import Platform

DECIDE = {"permission": Permission.APPROVE_DISPOSAL}
Decision = Callable[[ForceTransaction, DisposalRequest], Awaitable[None]]


class DisposalOut(msgspec.Struct):
    """A disposal request: the item, who asked and why, and the decision if made."""

    id: int
    item_id: int
    requested_by: int
    reason: str
    requested_at: datetime
    state: DisposalState
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str


class ApprovalIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the item's stored bytes may be destroyed; ``shared_acknowledged`` confirms knowing
    that it was shared with a partner (required for such an item)."""

    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON)]
    shared_acknowledged: bool = False


class RefusalIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the item is kept."""

    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON)]


def _out(disposal: DisposalRequest) -> DisposalOut:
    return DisposalOut(
        id=disposal.id,
        item_id=disposal.item_id,
        requested_by=disposal.requested_by,
        reason=disposal.reason,
        requested_at=disposal.requested_at,
        state=disposal.state,
        decided_by=disposal.decided_by,
        decided_at=disposal.decided_at,
        decision_note=disposal.decision_note,
    )


class DisposalsController(Controller):
    """Disposal requests of the caller's force."""

    path = "/disposals"
    tags = ["disposals"]

    @get(
        "/",
        opt=DECIDE,
        description=paged_help("The disposal requests awaiting a decision", "oldest first"),
        response_headers=[next_page_header("requests")],
    )
    async def awaiting(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        after: After = 0,
        limit: Limit = PAGE,
    ) -> Response[list[DisposalOut]]:
        """The requests awaiting a decision, oldest first, a page at a time."""
        async with platform.force_session(user.force_id) as session:
            found = await session.scalars(
                select(DisposalRequest)
                .where(DisposalRequest.state == DisposalState.PENDING, DisposalRequest.id > after)
                .order_by(DisposalRequest.id)
                .limit(limit + 1)
            )
            disposals = [_out(d) for d in found]
        return page(request, disposals, limit=limit, cursor="after")

    @post("/{disposal_id:int}/approve", opt=DECIDE, status_code=200)
    async def approve(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        disposal_id: FromPath[int],
        data: JSONBody[ApprovalIn],
    ) -> DisposalOut:
        """Approve another user's request: the item's stored bytes are destroyed (audited)."""

        async def decide(tx: ForceTransaction, disposal: DisposalRequest) -> None:
            with shares_acknowledged_in_body():
                await approve_disposal(
                    platform,
                    tx,
                    disposal,
                    user,
                    data.reason,
                    shared_acknowledged=data.shared_acknowledged,
                )

        return await _decide(platform, user, disposal_id, decide)

    @post("/{disposal_id:int}/refuse", opt=DECIDE, status_code=200)
    async def refuse(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        disposal_id: FromPath[int],
        data: JSONBody[RefusalIn],
    ) -> DisposalOut:
        """Refuse another user's request, saying why; the item is kept unchanged (audited)."""

        async def decide(tx: ForceTransaction, disposal: DisposalRequest) -> None:
            await refuse_disposal(tx, disposal, user, data.reason)

        return await _decide(platform, user, disposal_id, decide)


async def _decide(
    platform: Platform, user: User, disposal_id: int, decide: Decision
) -> DisposalOut:
    with domain_rules_as_400():
        async with force_transaction(platform, user.force_id) as tx:
            disposal = await tx.session.get(DisposalRequest, disposal_id, with_for_update=True)
            if disposal is None:
                raise NotFoundException(f"no disposal request {disposal_id}")
            await decide(tx, disposal)
            await tx.session.flush()
            return _out(disposal)
