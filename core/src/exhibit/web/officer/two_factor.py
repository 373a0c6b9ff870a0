"""``/sign-in/code`` and ``/sign-in/two-factor``: the second step of signing in.

Both pages work only for a browser holding the pending marker set after a matching
password; without it they send the browser back to the sign-in form. Setting up shows the
secret as an inline SVG QR code (no script, so the CSP holds) and as text to type in.
"""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from exhibit.accounts.models import User
from exhibit.accounts.sign_in_rate import count_attempt
from exhibit.accounts.two_factor import (
    CodeCheck,
    check_code,
    is_enrolled,
    offered_secret,
    provisioning_uri,
)
from exhibit.forces.models import Force
from exhibit.platform import Platform
from exhibit.ratelimit.limiter import RateLimited
from exhibit.web.officer.pages import AnyRequest, page, see_other
from exhibit.web.officer.sign_in import LOCKED, refused_page, too_many_page
from exhibit.web.officer.signed_in import (
    Pending,
    end_session,
    force_name,
    pending,
    start_session,
)
from exhibit.web.qr_code import qr_code

WRONG_CODE = "The code is wrong or has already been used. Enter the current code."
SIGN_IN_AGAIN = "/sign-in"
KEY_CHANGED = (
    "Your two-factor sign-in cannot be checked: this server's secret key is not the one it "
    "was set up with. Ask your force's Exhibit administrator to reset your two-factor "
    "sign-in, or the operator to restore the key."
)


@get("/sign-in/code", include_in_schema=False)
async def code_form(request: AnyRequest) -> Response[Any]:
    """Ask for the six-digit code from the user's authenticator app."""
    if pending(request) is None:
        return see_other(SIGN_IN_AGAIN)
    return page(request, "two_factor_code.html", error=None)


@post("/sign-in/code", include_in_schema=False)
async def code_submit(request: AnyRequest, platform: NamedDependency[Platform]) -> Response[Any]:
    """Check the code; on success the browser is signed in under a new session id."""
    return await _check(request, platform, enrolling=False)


@get("/sign-in/two-factor", include_in_schema=False)
async def setup_form(request: AnyRequest, platform: NamedDependency[Platform]) -> Response[Any]:
    """Set up an authenticator app: a QR code, the secret as text, and a box for a code."""
    waiting = pending(request)
    if waiting is None:
        return see_other(SIGN_IN_AGAIN)
    return await _setup_page(request, platform, waiting, error=None)


@post("/sign-in/two-factor", include_in_schema=False)
async def setup_submit(request: AnyRequest, platform: NamedDependency[Platform]) -> Response[Any]:
    """Confirm the authenticator with its first code; that also completes the sign-in."""
    return await _check(request, platform, enrolling=True)


async def _check(request: AnyRequest, platform: Platform, *, enrolling: bool) -> Response[Any]:
    waiting = pending(request)
    if waiting is None:
        return see_other(SIGN_IN_AGAIN)
    code = str((await request.form()).get("code", ""))
    client = request.client.host if request.client else ""
    try:
        await count_attempt(platform.sessions, client)
    except RateLimited as limited:
        refused = too_many_page(request, "", waiting.next_page, limited)
        end_session(request)
        return refused
    outcome, user = await check_code(
        platform, waiting.user_id, waiting.force_id, code, enrolling=enrolling, client=client
    )
    if outcome == CodeCheck.ACCEPTED and user is not None:
        start_session(request, user, await force_name(platform, user.force_id))
        return see_other(waiting.next_page or "/cases")
    if outcome == CodeCheck.UNREADABLE:
        refused = page(
            request,
            "error.html",
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            title="Your two-factor sign-in cannot be checked",
            detail=KEY_CHANGED,
        )
        end_session(request)
        return refused
    if user is None:  # deactivated (or gone) since the password: start again
        end_session(request)
        return see_other(SIGN_IN_AGAIN)
    if outcome == CodeCheck.LOCKED:
        refused = refused_page(request, "", waiting.next_page, LOCKED, locked=True)
        end_session(request)  # after rendering: the page reads the session's flash message
        return refused
    if enrolling:
        return await _setup_page(request, platform, waiting, error=WRONG_CODE)
    return page(request, "two_factor_code.html", status_code=400, error=WRONG_CODE)


async def _setup_page(
    request: AnyRequest, platform: Platform, waiting: Pending, *, error: str | None
) -> Response[Any]:
    async with platform.force_session(waiting.force_id) as session:
        user = await session.get(User, waiting.user_id)
        force = await session.get(Force, waiting.force_id)
        if user is None or force is None or not user.active:
            end_session(request)
            return see_other(SIGN_IN_AGAIN)
        if is_enrolled(user):
            return see_other("/sign-in/code")
        secret = await offered_secret(session, platform.secret_box, user)
        await session.commit()
    uri = provisioning_uri(secret, user, force.name)
    return page(
        request,
        "two_factor_setup.html",
        status_code=400 if error else 200,
        qr=qr_code(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        error=error,
    )
