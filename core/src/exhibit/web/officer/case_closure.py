"""``/cases/{id}/close`` and ``/cases/{id}/reopen``: each asks for a reason and confirms.

The close page lists the links a witness could still use, since closing revokes them; it
posts how many it showed, and the service refuses if that number changed meanwhile, so no
link is revoked that the officer did not see.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.cases.closure import (
    MAX_REASON,
    CaseStatusUnchanged,
    OpenLinksChanged,
    close_case,
    last_status_change,
    open_links,
    reopen_case,
)
from exhibit.cases.models import Case, CaseStatus
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest
from exhibit.web.officer.case_queries import find_case
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other


@dataclass(frozen=True)
class Closure:
    """Why and when a closed case was closed, and by whom, for its page."""

    occurred_at: datetime
    by: str
    reason: str


async def closure(session: AsyncSession, case: Case) -> Closure | None:
    """How the case came to be closed; None while it is open (or if no record says)."""
    if case.status != CaseStatus.CLOSED:
        return None
    change = await last_status_change(session, case.id)
    if change is None or not change.closed:
        return None
    by = change.actor
    kind, _, number = change.actor.partition(":")
    if kind == "user" and number.isdigit():
        actor = await session.get(User, int(number))
        by = actor.name if actor is not None else by
    return Closure(change.occurred_at, by, change.reason)


def _text(form: Any, name: str) -> str:
    # Kept well past the limit, so that an over-long reason comes back whole to be shortened.
    return str(form.get(name, "")).strip()[: 4 * MAX_REASON]


def _refused(request: AnyRequest, case_id: int, exc: ValueError) -> Response[Any]:
    message = str(exc)
    flash(request, message[:1].upper() + message[1:], error=True)
    return see_other(f"/cases/{case_id}")


def _close_page(
    request: AnyRequest,
    user: User,
    case: Case,
    links: list[EvidenceRequest],
    reason: str = "",
    errors: list[FieldError] | None = None,
) -> Template:
    return page(
        request,
        "case_close.html",
        status_code=400 if errors else 200,
        user=user,
        case=case,
        links=links,
        reason=reason,
        errors=errors or [],
        max_reason=MAX_REASON,
    )


@get(
    "/cases/{case_id:int}/close",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def close_case_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Confirm closing: the reason, and the open links that closing will revoke."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        links = await open_links(session, case_id)
    if case.status == CaseStatus.CLOSED:
        return _refused(request, case_id, CaseStatusUnchanged(f"case {case.reference} is closed"))
    return _close_page(request, user, case, links)


@post(
    "/cases/{case_id:int}/close",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def close_case_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Close the case and revoke the links shown; problems re-show the confirmation."""
    form = await request.form()
    reason, shown = _text(form, "reason"), _text(form, "revoking")
    error = None
    try:
        async with force_transaction(platform, user.force_id) as tx:
            case = await find_case(tx.session, case_id)
            revoked = await close_case(
                tx.session,
                case,
                reason=reason,
                revoking=int(shown) if shown.isascii() and shown.isdigit() else -1,
                actor=f"user:{user.id}",
            )
            reference = case.reference
    except HTTPException:
        raise  # Litestar's HTTP exceptions are ValueErrors too: keep the 404
    except CaseStatusUnchanged as exc:
        return _refused(request, case_id, exc)
    except OpenLinksChanged as exc:
        error = FieldError(
            "links",
            f"The case's open links changed since this page was shown: {exc.count} "
            f"{'is' if exc.count == 1 else 'are'} open now. Check them, then confirm again",
        )
    except ValueError as exc:
        message = str(exc)
        error = FieldError("reason", message[:1].upper() + message[1:])
    if error is not None:
        async with platform.force_session(user.force_id) as session:
            case = await find_case(session, case_id)
            links = await open_links(session, case_id)
        return _close_page(request, user, case, links, reason, [error])
    count = len(revoked)
    flash(
        request,
        f"Case {reference} closed."
        + (f" {count} link{'s' if count != 1 else ''} revoked." if count else ""),
    )
    return see_other(f"/cases/{case_id}")


def _reopen_page(
    request: AnyRequest, user: User, case: Case, reason: str = "", error: FieldError | None = None
) -> Template:
    return page(
        request,
        "case_reopen.html",
        status_code=400 if error else 200,
        user=user,
        case=case,
        reason=reason,
        errors=[error] if error else [],
        max_reason=MAX_REASON,
    )


@get(
    "/cases/{case_id:int}/reopen",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def reopen_case_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Ask why the case is reopened."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
    if case.status == CaseStatus.OPEN:
        return _refused(request, case_id, CaseStatusUnchanged(f"case {case.reference} is open"))
    return _reopen_page(request, user, case)


@post(
    "/cases/{case_id:int}/reopen",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def reopen_case_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Reopen the case; without a reason, the form again."""
    reason = _text(await request.form(), "reason")
    try:
        async with force_transaction(platform, user.force_id) as tx:
            case = await find_case(tx.session, case_id)
            await reopen_case(tx.session, case, reason=reason, actor=f"user:{user.id}")
            reference = case.reference
    except HTTPException:
        raise  # Litestar's HTTP exceptions are ValueErrors too: keep the 404
    except CaseStatusUnchanged as exc:
        return _refused(request, case_id, exc)
    except ValueError as exc:
        message = str(exc)
        error = FieldError("reason", message[:1].upper() + message[1:])
        async with platform.force_session(user.force_id) as session:
            case = await find_case(session, case_id)
        return _reopen_page(request, user, case, reason, error)
    flash(request, f"Case {reference} reopened. Witnesses can be asked for evidence again.")
    return see_other(f"/cases/{case_id}")


CASE_CLOSURE_HANDLERS = [close_case_form, close_case_submit, reopen_case_form, reopen_case_submit]
"""The pages that close and reopen a case, for the officer router."""
