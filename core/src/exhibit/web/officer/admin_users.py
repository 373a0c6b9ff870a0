"""``/admin`` and ``/admin/users``: the force admin's overview, and the force's users.

An admin creates a user with a one-time link to set their password (shown once, to pass on)
or with an initial password; sees a user's state (sign-in lock-out included); changes a
role; and resets a user's two-factor sign-in. Each change is audited; another force's user
ids are not found. What controls a user's access is in ``admin_user_access``.
"""

import secrets
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts import lockout, two_factor
from exhibit.accounts.admin import SelfChange, change_role, issue_setup_link
from exhibit.accounts.models import Role, User
from exhibit.accounts.passwords import MIN_PASSWORD_LENGTH
from exhibit.accounts.permissions import Permission
from exhibit.accounts.service import MAX_EMAIL, MAX_NAME, create_user
from exhibit.evidence.fixity import FIXITY_CHECKED
from exhibit.evidence.fixity_status import latest_fixity_check
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.contacts import is_email_address
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

ADMIN = {"permission": Permission.ADMINISTER_FORCE}
ROLE_NAMES = {
    Role.OFFICER: "Officer",
    Role.SUPERVISOR: "Supervisor",
    Role.EVIDENCE_MANAGER: "Evidence manager",
    Role.AUDITOR: "Auditor (read only)",
    Role.FORCE_ADMIN: "Force admin",
}


@get("/admin", include_in_schema=False, opt=ADMIN)
async def admin_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """What a force admin can look after, and what the latest check of the evidence store
    found."""
    async with platform.force_session(user.force_id) as session:
        fixity = await latest_fixity_check(session, user.force_id)
    return page(request, "admin.html", user=user, fixity=fixity, fixity_action=FIXITY_CHECKED)


@get("/admin/users", include_in_schema=False, opt=ADMIN)
async def users_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The force's users, and a form to add one."""
    return await _users_page(request, platform, user)


@post("/admin/users", include_in_schema=False, opt=ADMIN)
async def create_user_submit(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Add a user; show the one-time link (or take the initial password)."""
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("name", "email", "role", "how")}
    password = str(form.get("password", ""))
    errors = []
    if not values["name"]:
        errors.append(FieldError("name", "Enter the person's name"))
    elif len(values["name"]) > MAX_NAME:
        errors.append(FieldError("name", f"Use {MAX_NAME} characters or fewer"))
    if not values["email"]:
        errors.append(FieldError("email", "Enter an email address, like name@force.police.uk"))
    elif len(values["email"]) > MAX_EMAIL:
        errors.append(FieldError("email", f"An email address is at most {MAX_EMAIL} characters"))
    elif not is_email_address(values["email"]):
        errors.append(
            FieldError(
                "email", "Enter an email address in the correct format, like name@force.police.uk"
            )
        )
    if values["role"] not in {r.value for r in Role}:
        errors.append(FieldError("role", "Choose a role"))
    if values["how"] not in ("link", "password"):
        errors.append(FieldError("how", "Choose how they will get their password"))
    if values["how"] == "password" and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError("password", f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters")
        )
    link = None
    if not errors:
        initial = password if values["how"] == "password" else secrets.token_urlsafe(32)
        try:
            async with force_transaction(platform, user.force_id) as tx:
                created = await create_user(
                    tx.session,
                    user.force_id,
                    email=values["email"],
                    name=values["name"],
                    role=Role(values["role"]),
                    password=initial,
                    actor=f"user:{user.id}",
                )
                if values["how"] == "link":
                    token = await issue_setup_link(tx.session, created, actor=f"user:{user.id}")
                    link = setup_url(platform, token)
        except ValueError as exc:
            errors.append(FieldError("email", sentence(str(exc))))
    if errors:
        return await _users_page(request, platform, user, errors=errors, values=values)
    if link is None:
        flash(request, f"{values['name']} can now sign in with the password you chose.")
        return see_other("/admin/users")
    return await _users_page(request, platform, user, new_link=link, new_name=values["name"])


@get("/admin/users/{user_id:int}", include_in_schema=False, opt=ADMIN)
async def user_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Template:
    """One user: role, state, two-factor, and what the admin can change."""
    return await show_user(request, platform, user, user_id)


@post("/admin/users/{user_id:int}/role", include_in_schema=False, opt=ADMIN)
async def change_role_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    user_id: FromPath[int],
) -> Response[Any]:
    """Give the user another role; a role not offered shows the user's page again (400)
    with the error by the role."""
    value = str((await request.form()).get("role", ""))
    if value not in {r.value for r in Role}:
        error = FieldError("role", "Choose a role")
        return await show_user(request, platform, user, user_id, error=error)
    role = Role(value)
    try:
        async with force_transaction(platform, user.force_id) as tx:
            target = await find_user(tx.session, user_id)
            changed = await change_role(tx.session, target, role, by=user)
    except SelfChange as exc:
        flash(request, sentence(str(exc)), error=True)
    else:
        if changed:
            flash(request, f"{target.name} is now: {ROLE_NAMES[role]}.")
        else:
            flash(request, f"Nothing changed: {target.name} is already: {ROLE_NAMES[role]}.")
    return see_other(f"/admin/users/{user_id}")


async def show_user(
    request: AnyRequest,
    platform: Platform,
    user: User,
    user_id: int,
    *,
    error: FieldError | None = None,
    typed: str = "",
    reset_link: str | None = None,
) -> Template:
    """The page of one user of the admin's force (404 otherwise); with ``error``, a 400 that
    keeps ``typed`` in the field the error names; with ``reset_link``, the password reset
    link just made (shown this once)."""
    async with platform.force_session(user.force_id) as session:
        target = await find_user(session, user_id)
        locked_until = await lockout.any_lock_until(session, target.email)
    return page(
        request,
        "admin_user.html",
        status_code=400 if error else 200,
        user=user,
        target=target,
        roles=ROLE_NAMES,
        enrolled=two_factor.is_enrolled(target),
        locked_until=locked_until,
        errors=[error] if error else [],
        error_for={error.field: error.message} if error else {},
        typed={error.field: typed} if error else {},
        reset_link=reset_link,
    )


async def find_user(session: AsyncSession, user_id: int) -> User:
    """The user ``user_id`` of the session's force, or ``NotFoundException``."""
    found = await session.get(User, user_id)
    if found is None:
        raise NotFoundException(f"no user {user_id}")
    return found


def setup_url(platform: Platform, token: str) -> str:
    """The address of a one-time password link, to pass on to its user."""
    return f"{platform.settings.public_url.rstrip('/')}/set-password/{token}"


def sentence(message: str) -> str:
    """An exception's message as a sentence: only its first letter changed (unlike
    ``str.capitalize``, which would lower-case an address or a name in it)."""
    return message[:1].upper() + message[1:]


async def _users_page(
    request: AnyRequest,
    platform: Platform,
    user: User,
    *,
    errors: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    new_link: str | None = None,
    new_name: str = "",
) -> Template:
    async with platform.force_session(user.force_id) as session:
        users = (await session.scalars(select(User).order_by(User.name))).all()
    return page(
        request,
        "admin_users.html",
        status_code=400 if errors else 200,
        user=user,
        users=users,
        roles=ROLE_NAMES,
        enrolled=two_factor.is_enrolled,
        errors=errors or [],
        error_for={e.field: e.message for e in errors or []},
        values=values or {"name": "", "email": "", "role": "officer", "how": "link"},
        new_link=new_link,
        new_name=new_name,
    )


ADMIN_USER_HANDLERS = [
    admin_page,
    users_page,
    create_user_submit,
    user_page,
    change_role_submit,
]
