"""``/cases/{id}/requests/new``: asking a witness for evidence."""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.cases.models import Case, CaseStatus
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.requests import (
    create_request,
)
from exhibit.web.officer.case_queries import find_case, own_force
from exhibit.web.officer.forms import FieldError, RequestForm, blank_request_form, read_request_form
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other


def _form_page(request: AnyRequest, user: User, case: Case, form: RequestForm) -> Template:
    return page(
        request,
        "request_new.html",
        status_code=400 if form.errors else 200,
        user=user,
        case=case,
        form=form,
    )


@get(
    "/cases/{case_id:int}/requests/new",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def new_request_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """The form to ask a witness for evidence, with the force's default limits; back to the
    case if it is closed."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        form = blank_request_form(await own_force(session, user.force_id))
    if case.status == CaseStatus.CLOSED:
        message = f"Case {case.reference} is closed: reopen it to ask a witness for evidence."
        flash(request, message, error=True)
        return see_other(f"/cases/{case_id}")
    return _form_page(request, user, case, form)


@post(
    "/cases/{case_id:int}/requests/new",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def new_request_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Create the request and queue its message; problems re-show the form."""
    form, new = read_request_form(await request.form())
    if new is not None:
        try:
            async with force_transaction(platform, user.force_id) as tx:
                await create_request(
                    tx.session,
                    platform.secret_box,
                    await own_force(tx.session, user.force_id),
                    await find_case(tx.session, case_id),
                    new,
                    officer_id=user.id,
                    actor=f"user:{user.id}",
                    public_url=platform.settings.public_url,
                )
        except HTTPException:
            raise  # Litestar's HTTP exceptions are ValueErrors too: keep the 404
        except ValueError as exc:
            message = str(exc)  # may quote what the officer typed: change only the first letter
            form.errors.append(FieldError("request-form", message[:1].upper() + message[1:]))
        else:
            flash(request, f"Evidence request sent to {new.recipient_name}.")
            return see_other(f"/cases/{case_id}")
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
    return _form_page(request, user, case, form)
