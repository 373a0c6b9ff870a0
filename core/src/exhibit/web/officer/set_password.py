"""``/set-password/{token}``: a new user sets their password with the one-time link an admin
gave them. The token is the credential; a used, expired or unknown one shows the same page."""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from exhibit.accounts.admin import setup_link_user, use_setup_link
from exhibit.accounts.passwords import MIN_PASSWORD_LENGTH, WeakPassword
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

GONE = "This link has been used or has expired. Ask your force administrator for a new one."


@get("/set-password/{token:str}", include_in_schema=False)
async def set_password_form(
    request: AnyRequest, platform: NamedDependency[Platform], token: FromPath[str]
) -> Response[Any]:
    """The form to choose a password, if the link still works."""
    async with platform.system_session() as session:
        found = await setup_link_user(session, token)
    if found is None:
        return page(request, "set_password.html", status_code=404, gone=GONE, error=None)
    return page(request, "set_password.html", gone=None, error=None, person=found[1].name)


@post("/set-password/{token:str}", include_in_schema=False)
async def set_password_submit(
    request: AnyRequest, platform: NamedDependency[Platform], token: FromPath[str]
) -> Response[Any]:
    """Set the password; the link then stops working and the user signs in as usual."""
    form = await request.form()
    password, again = str(form.get("password", "")), str(form.get("confirm", ""))
    async with platform.system_session() as session:
        found = await setup_link_user(session, token)
    if found is None:
        return page(request, "set_password.html", status_code=404, gone=GONE, error=None)
    _, user = found
    error = None
    if password != again:
        error = "The two passwords are not the same"
    else:
        try:
            async with force_transaction(platform, user.force_id) as tx:
                live = await setup_link_user(tx.session, token)
                if live is None:
                    return page(
                        request, "set_password.html", status_code=404, gone=GONE, error=None
                    )
                await use_setup_link(tx.session, live[0], live[1], password)
        except WeakPassword:
            error = f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if error:
        return page(
            request, "set_password.html", status_code=400, gone=None, error=error, person=user.name
        )
    flash(request, "Your password is set. Sign in with your email address and new password.")
    return see_other("/sign-in")
