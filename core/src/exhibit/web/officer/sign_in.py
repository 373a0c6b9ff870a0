"""``/sign-in``, ``/sign-out`` and ``/``: getting officers in and out."""

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from exhibit.accounts.models import User
from exhibit.accounts.sign_in import Refusal, SignInRefused, sign_in
from exhibit.audit import log as audit
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.next_page import DEFAULT_PAGE, safe_next
from exhibit.web.officer.pages import AnyRequest, page, see_other
from exhibit.web.officer.signed_in import end_session, has_session, start_session
from exhibit.web.sessions import DatabaseStore

WRONG = "Email or password is wrong"
LOCKED = "Too many failed attempts. Wait 15 minutes, then try again."


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
        user = await sign_in(platform, email, password, client=client)
    except SignInRefused as refused:
        locked = refused.refusal == Refusal.LOCKED
        return _refused(request, email, destination, LOCKED if locked else WRONG, locked)
    start_session(request, user)
    store = request.app.stores.get("sessions")
    if isinstance(store, DatabaseStore):
        await store.delete_expired()  # housekeeping: sessions left to go idle
    return see_other(destination)


def _refused(
    request: AnyRequest, email: str, destination: str, message: str, locked: bool
) -> Template:
    return page(
        request,
        "sign_in.html",
        status_code=429 if locked else 400,
        email=email.strip(),
        next=destination,
        error=message,
    )


@post("/sign-out", include_in_schema=False)
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
