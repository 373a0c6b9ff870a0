"""``/cases/{id}/edit``: correcting a case's reference or title."""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.cases.models import Case
from exhibit.cases.service import MAX_REFERENCE, MAX_TITLE, InvalidTitle, change_case_details
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.case_queries import find_case
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other


def _edit_page(
    request: AnyRequest,
    user: User,
    case: Case,
    values: dict[str, str],
    errors: list[FieldError],
) -> Template:
    return page(
        request,
        "case_edit.html",
        status_code=400 if errors else 200,
        user=user,
        case=case,
        values=values,
        errors=errors,
        max_reference=MAX_REFERENCE,
        max_title=MAX_TITLE,
    )


@get(
    "/cases/{case_id:int}/edit",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def edit_case_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Template:
    """The case's reference and title, ready to correct."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
    values = {"reference": case.reference, "title": case.title}
    return _edit_page(request, user, case, values, [])


@post(
    "/cases/{case_id:int}/edit",
    include_in_schema=False,
    opt={"permission": Permission.MANAGE_REQUESTS},
)
async def edit_case_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Save the new details (audited, old and new); problems re-show the form as typed."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("reference", "title")}
    try:
        async with force_transaction(platform, user.force_id) as tx:
            case = await find_case(tx.session, case_id)
            changes = await change_case_details(
                tx.session,
                case,
                reference=values["reference"],
                title=values["title"],
                actor=f"user:{user.id}",
            )
            reference = case.reference
    except HTTPException:
        raise  # Litestar's HTTP exceptions are ValueErrors too: keep the 404
    except ValueError as exc:
        message = str(exc)  # it quotes the reference as typed: only the first letter changes
        field = "title" if isinstance(exc, InvalidTitle) else "reference"
        errors = [FieldError(field, message[:1].upper() + message[1:])]
        async with platform.force_session(user.force_id) as session:
            case = await find_case(session, case_id)
        return _edit_page(request, user, case, values, errors)
    flash(request, f"Case {reference} updated." if changes else "Nothing was changed.")
    return see_other(f"/cases/{case_id}")


CASE_DETAIL_HANDLERS = [edit_case_form, edit_case_submit]
"""The pages that change a case's details, for the officer router."""
