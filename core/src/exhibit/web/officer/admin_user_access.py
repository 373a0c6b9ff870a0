"""``/admin/users/{id}/...``: what a force admin does about a user's access.

Deactivating and reactivating go through a confirmation page that asks why (GOV.UK's
pattern for a consequential action); clearing a sign-in lock-out, resetting two-factor
sign-in and making a password reset link ask why on the user's page. Each reason goes into
the audit log, and a request that would change nothing says so and records nothing.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.admin import (
    ReasonRefused,
    SelfChange,
    clear_lockout,
    deactivate,
    issue_reset_link,
    reactivate,
    reset_two_factor,
)
from exhibit.accounts.models import User
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.admin_users import ADMIN, find_user, sentence, setup_url, show_user
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

SELF_DEACTIVATION = "You cannot deactivate yourself; ask another force admin."


@dataclass(frozen=True)
class AccessChange:
    """Deactivating or reactivating: the domain call and what the pages say about it."""

    verb: str
    """``deactivate`` or ``reactivate``: the last part of the page's address."""
    doing: str
    apply: Callable[..., Awaitable[bool]]
    active_before: bool
    """Whether the user is active while the change still makes sense."""
    done: str
    state_after: str


DEACTIVATE = AccessChange(
    "deactivate", "deactivating", deactivate, True, "deactivated", "deactivated"
)
REACTIVATE = AccessChange("reactivate", "reactivating", reactivate, False, "reactivated", "active")


@get("/admin/users/{user_id:int}/deactivate", include_in_schema=False, opt=ADMIN)
async def deactivate_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Ask the admin to confirm, and say why, that the user may no longer sign in."""
    return await _confirmation(request, platform, user, user_id, DEACTIVATE)


@post("/admin/users/{user_id:int}/deactivate", include_in_schema=False, opt=ADMIN)
async def deactivate_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Stop the user signing in (their sessions and tokens stop working at once)."""
    return await _submit(request, platform, user, user_id, DEACTIVATE)


@get("/admin/users/{user_id:int}/reactivate", include_in_schema=False, opt=ADMIN)
async def reactivate_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Ask the admin to confirm, and say why, that a deactivated user may sign in again."""
    return await _confirmation(request, platform, user, user_id, REACTIVATE)


@post("/admin/users/{user_id:int}/reactivate", include_in_schema=False, opt=ADMIN)
async def reactivate_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Let a deactivated user sign in again."""
    return await _submit(request, platform, user, user_id, REACTIVATE)


@dataclass(frozen=True)
class PageChange:
    """A change asked for on the user's page with a reason: what it needs and says."""

    field: str
    """The reason's field on the user's page."""
    say_why: str
    apply: Callable[..., Awaitable[bool]]
    done: str
    """What the admin is told once it is done (``{name}``: the user's name)."""
    unchanged: str
    """What the admin is told when there was nothing to change."""


CLEAR_LOCKOUT = PageChange(
    "lockout-reason",
    "Enter why they may try to sign in again now",
    clear_lockout,
    "{name} can try to sign in again now.",
    "Nothing changed: {name} was not locked out.",
)
RESET_TWO_FACTOR = PageChange(
    "two-factor-reason",
    "Enter why they need a new authenticator",
    reset_two_factor,
    "{name} will set up two-factor sign-in again when they next sign in.",
    "Nothing changed: {name} has no two-factor sign-in set up.",
)


@post("/admin/users/{user_id:int}/clear-lockout", include_in_schema=False, opt=ADMIN)
async def clear_lockout_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """End the lock-out of the user's address after wrong passwords or codes, now."""
    return await _change_on_page(request, platform, user, user_id, CLEAR_LOCKOUT)


@post("/admin/users/{user_id:int}/reset-two-factor", include_in_schema=False, opt=ADMIN)
async def reset_two_factor_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Forget the user's authenticator; they set up a new one when they next sign in."""
    return await _change_on_page(request, platform, user, user_id, RESET_TWO_FACTOR)


async def _change_on_page(
    request: AnyRequest, platform: Platform, user: User, user_id: int, change: PageChange
) -> Response[Any]:
    reason = str((await request.form()).get("reason", ""))
    if not reason.strip():
        error = FieldError(change.field, change.say_why)
        return await show_user(request, platform, user, user_id, error=error, typed=reason)
    try:
        async with force_transaction(platform, user.force_id) as tx:
            target = await find_user(tx.session, user_id)
            changed = await change.apply(tx.session, target, by=user, reason=reason)
    except SelfChange as exc:
        flash(request, sentence(str(exc)), error=True)
        return see_other(f"/admin/users/{user_id}")
    except ReasonRefused as exc:
        error = FieldError(change.field, sentence(str(exc)))
        return await show_user(request, platform, user, user_id, error=error, typed=reason)
    flash(request, (change.done if changed else change.unchanged).format(name=target.name))
    return see_other(f"/admin/users/{user_id}")


@post("/admin/users/{user_id:int}/password-reset", include_in_schema=False, opt=ADMIN)
async def password_reset_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Make a one-time link with which the user chooses a new password; it is shown once."""
    reason = str((await request.form()).get("reason", ""))
    field = "reset-reason"
    if not reason.strip():
        error = FieldError(field, "Enter why they need a new password")
        return await show_user(request, platform, user, user_id, error=error, typed=reason)
    try:
        async with force_transaction(platform, user.force_id) as tx:
            target = await find_user(tx.session, user_id)
            token = await _reset_link(tx.session, target, user, reason)
    except ReasonRefused as exc:
        error = FieldError(field, sentence(str(exc)))
        return await show_user(request, platform, user, user_id, error=error, typed=reason)
    if token is None:
        flash(request, f"Reactivate {target.name} before resetting their password.", error=True)
        return see_other(f"/admin/users/{user_id}")
    link = setup_url(platform, token)
    return await show_user(request, platform, user, user_id, reset_link=link)


async def _reset_link(session: AsyncSession, target: User, by: User, reason: str) -> str | None:
    # A deactivated user's link would not work (``setup_link_user``): none is made.
    if not target.active:
        return None
    return await issue_reset_link(session, target, by=by, reason=reason)


async def _confirmation(
    request: AnyRequest,
    platform: Platform,
    user: User,
    user_id: int,
    change: AccessChange,
    *,
    error: str = "",
    typed: str = "",
) -> Response[Any]:
    async with platform.force_session(user.force_id) as session:
        target = await find_user(session, user_id)
    if change is DEACTIVATE and target.id == user.id:
        flash(request, SELF_DEACTIVATION, error=True)
        return see_other(f"/admin/users/{user_id}")
    if target.active != change.active_before:
        flash(request, f"Nothing to do: {target.name} is already {change.state_after}.")
        return see_other(f"/admin/users/{user_id}")
    errors = [FieldError("reason", error)] if error else []
    return page(
        request,
        "admin_user_access.html",
        status_code=400 if errors else 200,
        user=user,
        target=target,
        verb=change.verb,
        errors=errors,
        error=error,
        reason=typed,
    )


async def _submit(
    request: AnyRequest, platform: Platform, user: User, user_id: int, change: AccessChange
) -> Response[Any]:
    reason = str((await request.form()).get("reason", ""))
    if not reason.strip():
        say_why = f"Enter why you are {change.doing} them"
        return await _confirmation(
            request, platform, user, user_id, change, error=say_why, typed=reason
        )
    try:
        async with force_transaction(platform, user.force_id) as tx:
            target = await find_user(tx.session, user_id)
            changed = await change.apply(tx.session, target, by=user, reason=reason)
    except SelfChange as exc:
        flash(request, sentence(str(exc)), error=True)
        return see_other(f"/admin/users/{user_id}")
    except ReasonRefused as exc:
        return await _confirmation(
            request, platform, user, user_id, change, error=sentence(str(exc)), typed=reason
        )
    if changed:
        flash(request, f"{target.name} was {change.done}.")
    else:
        flash(request, f"Nothing changed: {target.name} is already {change.state_after}.")
    return see_other(f"/admin/users/{user_id}")


ADMIN_ACCESS_HANDLERS = [
    deactivate_form,
    deactivate_submit,
    reactivate_form,
    reactivate_submit,
    clear_lockout_submit,
    reset_two_factor_submit,
    password_reset_submit,
]
