"""Disposal from the web app: asking (with a reason) and, for a second person, deciding.

Approving destroys the file, so it takes two steps: a page showing what will be destroyed
(and the shares that were made of it), then the approver's reason posted from it, with a
tick to confirm they know of the shares when there are any.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.cases.models import Case
from exhibit.evidence.actions import ItemAction, refusal
from exhibit.evidence.disposal import (
    DisposalRefused,
    SharesNotAcknowledged,
    approval_reason,
    approve_disposal,
    check_approvable,
    check_shares_acknowledged,
    refuse_disposal,
    request_disposal,
)
from exhibit.evidence.models import Category, DisposalRequest, DisposalState, EvidenceItem
from exhibit.forces.transaction import ForceTransaction, force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import Share
from exhibit.sharing.service import unrevoked_shares
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.items import act_on_field, show_item
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other


@dataclass(frozen=True)
class PendingDisposal:
    """A request awaiting a decision, with its item, its case's reference, who asked, and
    whether the viewer may approve it straight away (not their own request, and the item's
    state allows it)."""

    disposal: DisposalRequest
    item: EvidenceItem
    requester: str
    case_reference: str = ""
    approvable: bool = False


@dataclass(frozen=True)
class ApprovalView:
    """What an approver sees before the file is destroyed."""

    disposal: DisposalRequest
    item: EvidenceItem
    case: Case
    requester: str
    category: Category | None
    shares: list[Share]
    """The shares of the item that have not been revoked."""


Decision = Callable[[ForceTransaction, DisposalRequest], Awaitable[None]]
"""Approving or refusing a disposal request, in a transaction."""

Refused = Callable[[int, str], Awaitable[Response[Any]]]
"""What the user sees when a decision is refused, given the item's id and why (a sentence)."""

SHARED_ACKNOWLEDGED = "shared_acknowledged"
"""The form field (a tick) by which the approver confirms knowing the item was shared."""


async def _approval_view(session: AsyncSession, disposal_id: int) -> ApprovalView:
    row = (
        await session.execute(
            select(DisposalRequest, EvidenceItem, Case, User.name)
            .join(EvidenceItem, EvidenceItem.id == DisposalRequest.item_id)
            .join(Case, Case.id == EvidenceItem.case_id)
            .join(User, User.id == DisposalRequest.requested_by)
            .where(DisposalRequest.id == disposal_id)
        )
    ).first()
    if row is None:
        raise NotFoundException(f"no disposal request {disposal_id}")
    disposal, item, case, requester = row
    category = await session.get(Category, item.category_id) if item.category_id else None
    shares = await unrevoked_shares(session, item.id)
    return ApprovalView(disposal, item, case, requester, category, shares)


@post(
    "/items/{item_id:int}/disposal",
    include_in_schema=False,
    opt={"permission": Permission.REQUEST_DISPOSAL},
)
async def ask_disposal(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Response[Any]:
    """Ask for the item to be disposed of (done at once where the force needs no approval,
    which an item shared with a partner needs the requester's tick for); a refusal shows the
    item page again (400) with the error by the reason."""
    form = await request.form()
    reason = str(form.get("reason", ""))
    acknowledged = form.get(SHARED_ACKNOWLEDGED) == "yes"

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        disposal = await request_disposal(
            platform, tx, item, user, reason, shared_acknowledged=acknowledged
        )
        if disposal.state == DisposalState.DONE:
            return "Disposed of: the stored file is destroyed; the record remains."
        return "Disposal requested. A supervisor or evidence manager must approve it."

    return await act_on_field(request, platform, user, item_id, action, "disposal-reason", reason)


@get("/disposals", include_in_schema=False, opt={"permission": Permission.APPROVE_DISPOSAL})
async def disposals_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """Disposal requests awaiting a decision, oldest first, each with its case and, where
    the viewer may approve it, a link straight to the approval."""
    async with platform.force_session(user.force_id) as session:
        rows = await session.execute(
            select(DisposalRequest, EvidenceItem, User.name, Case.reference)
            .join(EvidenceItem, EvidenceItem.id == DisposalRequest.item_id)
            .join(User, User.id == DisposalRequest.requested_by)
            .join(Case, Case.id == EvidenceItem.case_id)
            .where(DisposalRequest.state == DisposalState.PENDING)
            .order_by(DisposalRequest.requested_at)
        )
        pending = [
            PendingDisposal(d, i, n, reference, _approvable(d, i, user))
            for d, i, n, reference in rows
        ]
    return page(request, "disposals.html", user=user, pending=pending)


def _approvable(disposal: DisposalRequest, item: EvidenceItem, user: User) -> bool:
    return disposal.requested_by != user.id and (
        refusal(item, ItemAction.APPROVE_DISPOSAL, disposal_pending=True) is None
    )


@get(
    "/disposals/{disposal_id:int}/approve",
    include_in_schema=False,
    opt={"permission": Permission.APPROVE_DISPOSAL},
)
async def approve_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    disposal_id: FromPath[int],
) -> Response[Any]:
    """Confirm an approval: the item that will be destroyed, its shares, the approver's reason."""
    async with platform.force_session(user.force_id) as session:
        view = await _approval_view(session, disposal_id)
    return _confirmation(request, user, view)


@post(
    "/disposals/{disposal_id:int}/approve",
    include_in_schema=False,
    opt={"permission": Permission.APPROVE_DISPOSAL},
)
async def approve(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    disposal_id: FromPath[int],
) -> Response[Any]:
    """Approve another user's request, saying why: the bytes are destroyed, the tombstone
    stays. Without a reason, or without the tick confirming that the approver knows of the
    item's shares, the confirmation page comes back (400)."""
    form = await request.form()
    typed = str(form.get("reason", ""))
    acknowledged = form.get(SHARED_ACKNOWLEDGED) == "yes"
    async with platform.force_session(user.force_id) as session:
        view = await _approval_view(session, disposal_id)
    errors = _approval_errors(view, typed, acknowledged=acknowledged)
    if errors:
        return _confirmation(request, user, view, typed, errors, acknowledged=acknowledged)
    reason = approval_reason(typed)

    async def approving(tx: ForceTransaction, disposal: DisposalRequest) -> None:
        await approve_disposal(
            platform, tx, disposal, user, reason, shared_acknowledged=acknowledged
        )

    async def back_to_item(item_id: int, problem: str) -> Response[Any]:
        flash(request, problem, error=True)
        return see_other(f"/items/{item_id}")

    done = "Disposal approved: the stored file is destroyed; the record remains."
    return await _decide(request, platform, user, disposal_id, approving, done, back_to_item)


def _approval_errors(view: ApprovalView, typed: str, *, acknowledged: bool) -> list[FieldError]:
    """What is missing from the approval form: the reason, the tick for the shares."""
    errors = []
    try:
        approval_reason(typed)
    except DisposalRefused as exc:
        errors.append(FieldError("reason", _sentence(str(exc))))
    try:
        check_shares_acknowledged(view.item, view.shares, acknowledged=acknowledged)
    except SharesNotAcknowledged:
        errors.append(
            FieldError(
                SHARED_ACKNOWLEDGED,
                "Tick to confirm that you know this item has been shared with a partner",
            )
        )
    return errors


def _confirmation(
    request: AnyRequest,
    user: User,
    view: ApprovalView,
    typed: str = "",
    errors: list[FieldError] | None = None,
    *,
    acknowledged: bool = False,
) -> Response[Any]:
    try:
        check_approvable(view.disposal, view.item, user)
    except DisposalRefused as exc:
        flash(request, _sentence(str(exc)), error=True)
        return see_other(f"/items/{view.item.id}")
    errors = errors or []
    return page(
        request,
        "disposal_approve.html",
        status_code=400 if errors else 200,
        user=user,
        view=view,
        item=view.item,
        reason=typed,
        errors=errors,
        acknowledged=acknowledged,
    )


@post(
    "/disposals/{disposal_id:int}/refuse",
    include_in_schema=False,
    opt={"permission": Permission.APPROVE_DISPOSAL},
)
async def refuse(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    disposal_id: FromPath[int],
) -> Response[Any]:
    """Refuse another user's request, saying why; if it cannot be refused (no note, already
    decided, one's own), the item page comes back (400) with the error by the note."""
    note = str((await request.form()).get("note", ""))

    async def refusing(tx: ForceTransaction, disposal: DisposalRequest) -> None:
        await refuse_disposal(tx, disposal, user, note)

    async def by_the_note(item_id: int, problem: str) -> Response[Any]:
        error = FieldError("refuse-note", problem)
        return await show_item(request, platform, user, item_id, error, note)

    return await _decide(
        request, platform, user, disposal_id, refusing, "Disposal refused.", by_the_note
    )


async def _decide(
    request: AnyRequest,
    platform: Platform,
    user: User,
    disposal_id: int,
    decision: Decision,
    done: str,
    refused: Refused,
) -> Response[Any]:
    item_id = None
    try:
        async with force_transaction(platform, user.force_id) as tx:
            disposal = await tx.session.get(DisposalRequest, disposal_id, with_for_update=True)
            if disposal is None:
                raise NotFoundException(f"no disposal request {disposal_id}")
            item_id = disposal.item_id
            await decision(tx, disposal)
    except HTTPException:
        raise
    except ValueError as exc:
        assert item_id is not None
        return await refused(item_id, _sentence(str(exc)))
    flash(request, done)
    return see_other(f"/items/{item_id}")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
