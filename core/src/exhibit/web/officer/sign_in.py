"""``/sign-in``, ``/sign-out`` and ``/``: getting officers in and out."""

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.accounts.sign_in import Refusal, SignInRefused, sign_in
from exhibit.accounts.sign_in_rate import count_attempt
from exhibit.accounts.two_factor import SecondStep
from exhibit.audit import log as audit
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.ratelimit.limiter import RateLimited
from exhibit.web.officer.next_page import DEFAULT_PAGE, safe_next
from exhibit.web.officer.pages import AnyRequest, page, see_other
from exhibit.web.officer.signed_in import (
    end_session,
    force_name,
    has_session,
    start_pending,
    start_session,
)

WRONG = "Email or password is wrong"
LOCKED = "Too many failed attempts. Wait 15 minutes, then try again."
TOO_MANY = "Too many sign-in attempts from your network. Wait {minutes} minutes, then try again."


@get("/", include_in_schema=False)
async def home(request: AnyRequest) -> Redirect:
    """Signed-in officers go to their cases; everyone else to the sign-in page."""
    return see_other(DEFAULT_PAGE if has_session(request) else "/sign-in")


@get("/sign-in", include_in_schema=False)
async def sign_in_form(
    request: AnyRequest, next_page: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response[Any]:
    """The sign-in form (or straight on, for a browser that is already signed in)."""
    if has_session(request):
        return see_other(safe_next(next_page))
    return page(request, "sign_in.html", email="", next=safe_next(next_page), error=None)


@post("/sign-in", include_in_schema=False)
async def sign_in_submit(request: AnyRequest, platform: NamedDependency[Platform]) -> Response[Any]:
    """Check the email and password; on success start a fresh session."""
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    destination = safe_next(str(form.get("next", "")))
    client = request.client.host if request.client else ""
    try:
        await count_attempt(platform.sessions, client)
    except RateLimited as limited:
        return too_many_page(request, email, destination, limited)
    try:
        user, step = await sign_in(platform, email, password, client=client)
    except SignInRefused as refused:
        locked = refused.refusal == Refusal.LOCKED
        return refused_page(request, email, destination, LOCKED if locked else WRONG, locked)
    if step == SecondStep.CODE:
        start_pending(request, user, destination)
        return see_other("/sign-in/code")
    if step == SecondStep.ENROL:
        start_pending(request, user, destination)
        return see_other("/sign-in/two-factor")
    start_session(request, user, await force_name(platform, user.force_id))
    return see_other(destination)


def refused_page(
    request: AnyRequest, email: str, destination: str, message: str, locked: bool
) -> Template:
    """The sign-in form again with why it failed (429 while the address is locked)."""
    return page(
        request,
        "sign_in.html",
        status_code=429 if locked else 400,
        email=email.strip(),
        next=destination,
        error=message,
    )


def too_many_page(
    request: AnyRequest, email: str, destination: str, limited: RateLimited
) -> Template:
    """The sign-in form again, refused (429) because this address tried too often."""
    minutes = max(1, -(-limited.retry_after // 60))
    refused = refused_page(
        request, email, destination, TOO_MANY.format(minutes=minutes), locked=True
    )
    refused.headers["Retry-After"] = str(limited.retry_after)
    return refused


@post("/sign-out", include_in_schema=False, opt={"permission": Permission.OWN_ACCOUNT})
async def sign_out(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Redirect:
    """End the session here and on every other app process (the row is deleted)."""
    async with force_transaction(platform, user.force_id) as tx:
        await audit.record(
            tx.session,
            user.force_id,
            actor=f"user:{user.id}",
            action="user.signed_out",
            object_type="user",
            object_id=user.id,
        )
    end_session(request)
    return see_other("/sign-in")
