"""Managing a sent link: resend it (a new link), extend it by a week, or revoke it."""

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.forces.transaction import ForceTransaction, force_transaction
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest
from exhibit.uploads.requests import extend_request, resend_request, revoke_request
from exhibit.web.officer.bulk_form import BulkChoice
from exhibit.web.officer.case_queries import own_force
from exhibit.web.officer.cases import show_case
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, see_other

EXTEND_DAYS = 7


class Outcome(NamedTuple):
    """Where the acted-on request lives, and why the action was refused, if it was."""

    case_id: int
    request_id: int
    refusal: str | None

    def page(self, request: AnyRequest, done: str) -> Redirect:
        """Back to the case, saying what happened."""
        message = self.refusal or done
        flash(request, _sentence(message), error=self.refusal is not None)
        return see_other(f"/cases/{self.case_id}#request-{self.request_id}")


Action = Callable[[ForceTransaction, EvidenceRequest], Awaitable[None]]


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


async def _act(platform: Platform, user: User, request_id: int, action: Action) -> Outcome:
    """Run ``action`` on the force's request in one unit of work (rolled back if refused)."""
    case_id = None
    try:
        async with force_transaction(platform, user.force_id) as tx:
            found = await tx.session.get(EvidenceRequest, request_id)
            if found is None:
                raise NotFoundException(f"no request {request_id}")
            case_id = found.case_id
            await action(tx, found)
    except HTTPException:
        raise  # Litestar's HTTP exceptions are ValueErrors too: keep the 404
    except ValueError as exc:
        assert case_id is not None
        return Outcome(case_id, request_id, str(exc))
    return Outcome(case_id, request_id, None)


@post(
    "/requests/{request_id:int}/resend",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def resend(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    request_id: FromPath[int],
) -> Redirect:
    """Send a new link; the old one stops working."""

    async def action(tx: ForceTransaction, found: EvidenceRequest) -> None:
        force = await own_force(tx.session, user.force_id)
        await resend_request(
            tx.session,
            platform.secret_box,
            force,
            found,
            actor=f"user:{user.id}",
            public_url=platform.settings.public_url,
        )

    outcome = await _act(platform, user, request_id, action)
    return outcome.page(request, "A new link was sent. The old link no longer works.")


@post(
    "/requests/{request_id:int}/extend",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def extend(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    request_id: FromPath[int],
) -> Redirect:
    """Keep the link working for another week from now."""

    async def action(tx: ForceTransaction, found: EvidenceRequest) -> None:
        await extend_request(tx.session, found, days=EXTEND_DAYS, actor=f"user:{user.id}")

    outcome = await _act(platform, user, request_id, action)
    return outcome.page(request, f"The link now works until {EXTEND_DAYS} days from now.")


@post(
    "/requests/{request_id:int}/revoke",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def revoke(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    request_id: FromPath[int],
) -> Response[Any]:
    """Stop the link at once, with the officer's reason; without one, the case page comes
    back (400) with the error by the request's reason field."""
    reason = str((await request.form()).get("reason", ""))

    async def action(tx: ForceTransaction, found: EvidenceRequest) -> None:
        await revoke_request(tx.session, found, reason=reason, actor=f"user:{user.id}")

    outcome = await _act(platform, user, request_id, action)
    if outcome.refusal is None:
        return outcome.page(request, "The link was revoked and no longer works.")
    error = FieldError(f"revoke-reason-{request_id}", _sentence(outcome.refusal))
    return await show_case(request, platform, user, outcome.case_id, BulkChoice(), error, reason)
