"""``/cases``: the force's cases, opening one, and one case with its requests and evidence."""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from exhibit.accounts.models import Role, User
from exhibit.cases.service import open_case
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.auth import ROLE_ORDER, require_role
from exhibit.web.officer.case_queries import case_items, case_requests, find_case, list_cases
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other


def may_act(user: User) -> bool:
    """True for officers and above; auditors only look."""
    return ROLE_ORDER.index(user.role) >= ROLE_ORDER.index(Role.OFFICER)


@get("/cases", include_in_schema=False)
async def cases_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    reference: FromQuery[str] = "",
) -> Template:
    """The force's cases, newest first, searchable by reference."""
    return await _cases_page(request, platform, user, reference=reference[:100])


async def _cases_page(
    request: AnyRequest,
    platform: Platform,
    user: User,
    *,
    reference: str = "",
    errors: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    async with platform.force_session(user.force_id) as session:
        rows = await list_cases(session, reference)
    return page(
        request,
        "cases.html",
        status_code=400 if errors else 200,
        user=user,
        rows=rows,
        reference=reference,
        can_act=may_act(user),
        errors=errors or [],
        values=values or {"reference": "", "title": ""},
    )


@post("/cases", include_in_schema=False)
async def open_case_submit(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Open a case from the form; problems re-show the form with an error summary."""
    require_role(user, Role.OFFICER)
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("reference", "title")}
    try:
        async with force_transaction(platform, user.force_id) as tx:
            case = await open_case(
                tx.session,
                user.force_id,
                reference=values["reference"],
                title=values["title"],
                officer_id=user.id,
                actor=f"user:{user.id}",
            )
    except ValueError as exc:
        error = FieldError("reference", str(exc).capitalize())
        return await _cases_page(request, platform, user, errors=[error], values=values)
    flash(request, f"Case {case.reference} opened.")
    return see_other(f"/cases/{case.id}")


@get("/cases/{case_id:int}", include_in_schema=False)
async def case_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Template:
    """One case: its requests (with actions) and the evidence that arrived."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        requests = await case_requests(session, case_id)
        items = await case_items(session, case_id)
    return page(
        request,
        "case.html",
        user=user,
        case=case,
        requests=requests,
        items=items,
        can_act=may_act(user),
    )
