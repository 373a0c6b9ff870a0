"""``/cases``: the force's cases, opening one, and one case with its requests and evidence."""

from datetime import date
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission, may
from exhibit.cases.service import InvalidTitle, open_case
from exhibit.cases.visits import latest_visit_boundary, record_visit
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.targets import force_can_share
from exhibit.web.officer.bulk_form import BulkChoice
from exhibit.web.officer.case_closure import closure
from exhibit.web.officer.case_queries import (
    SORT_BY_ARRIVAL,
    CaseSearch,
    case_items,
    case_requests,
    find_case,
    list_cases,
)
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other


@get("/cases", include_in_schema=False, opt={"permission": Permission.VIEW_CASES})
async def cases_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    reference: FromQuery[str] = "",
    officer: FromQuery[str] = "",
    status: FromQuery[str] = "",
    opened_from: FromQuery[str] = "",
    opened_to: FromQuery[str] = "",
    waiting: FromQuery[str] = "",
    sort: FromQuery[str] = "",
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)] = 1,
) -> Template:
    """The force's cases, newest first (or latest arrival first), a page at a time, each
    with what arrived since the user last opened it; searchable by reference (the case's or
    a witness's submission reference), officer, status, date and evidence waiting for
    review."""
    errors = []
    dates: list[date | None] = []
    for name, text in (("opened_from", opened_from), ("opened_to", opened_to)):
        try:
            dates.append(date.fromisoformat(text.strip()) if text.strip() else None)
        except ValueError:
            dates.append(None)
            errors.append(FieldError(name, "Enter a date as YYYY-MM-DD"))
    search = CaseSearch(
        reference[:100],
        officer[:200],
        status[:16],
        dates[0],
        dates[1],
        waiting == "yes",
        SORT_BY_ARRIVAL if sort == SORT_BY_ARRIVAL else "",
    )
    return await _cases_page(
        request, platform, user, search=search, errors=errors, page_number=page_number
    )


async def _cases_page(
    request: AnyRequest,
    platform: Platform,
    user: User,
    *,
    search: CaseSearch | None = None,
    errors: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    page_number: int = 1,
) -> Template:
    search = search or CaseSearch()
    async with platform.force_session(user.force_id) as session:
        cases = await list_cases(session, search, page_number, viewer_id=user.id)
    return page(
        request,
        "cases.html",
        status_code=400 if errors else 200,
        user=user,
        rows=cases.rows,
        case_page=cases,
        reference=search.reference,
        search=search,
        searching=search.filtered,
        can_act=may(user, Permission.MANAGE_REQUESTS),
        can_approve_disposal=may(user, Permission.APPROVE_DISPOSAL),
        can_administer=may(user, Permission.ADMINISTER_FORCE),
        errors=errors or [],
        values=values or {"reference": "", "title": ""},
    )


@post("/cases", include_in_schema=False, opt={"permission": Permission.MANAGE_REQUESTS})
async def open_case_submit(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Open a case from the form; problems re-show the form with an error summary."""
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
        message = str(exc)  # it quotes the reference as typed: only the first letter changes
        field = "title" if isinstance(exc, InvalidTitle) else "reference"
        error = FieldError(field, message[:1].upper() + message[1:])
        return await _cases_page(request, platform, user, errors=[error], values=values)
    flash(request, f"Case {case.reference} opened.")
    return see_other(f"/cases/{case.id}")


@get("/cases/{case_id:int}", include_in_schema=False, opt={"permission": Permission.VIEW_CASES})
async def case_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)] = 1,
) -> Template:
    """One case: its requests (with actions) and the evidence that arrived, a page at a time,
    what arrived since the user last opened it marked new. Opening its first page records
    the visit; its other pages mark what that visit did."""
    return await show_case(request, platform, user, case_id, BulkChoice(page=page_number))


async def show_case(
    request: AnyRequest,
    platform: Platform,
    user: User,
    case_id: int,
    bulk: BulkChoice,
    error: FieldError | None = None,
    typed: str = "",
) -> Template:
    """The case page at ``bulk.page`` of its items, the bulk form filled in as ``bulk`` says;
    with ``error``, a 400 saying what to put right, ``typed`` still in the field it names.

    Shown plainly at its first page, it is the user opening the case: the visit is recorded
    and what arrived since the last one is marked new. Its other pages, and the page shown
    again with an error, belong to the latest visit and mark what it marked.
    """
    opened_at = utcnow()  # before the items are read: nothing arriving meanwhile is missed
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        if error is None and bulk.page == 1:
            new_since = await record_visit(session, user.force_id, user.id, case_id, opened_at)
        else:
            new_since = await latest_visit_boundary(session, user.id, case_id)
        requests = await case_requests(session, case_id)
        items = await case_items(session, case_id, bulk.page, new_since)
        sharing_offered = await force_can_share(session, platform, user.force_id)
        closed = await closure(session, case)
        await session.commit()
    return page(
        request,
        "case.html",
        status_code=400 if error else 200,
        user=user,
        case=case,
        closure=closed,
        requests=requests,
        items=items.rows,
        item_page=items,
        counts=items.counts,
        bulk=bulk,
        errors=[error] if error else [],
        typed={error.field: typed} if error else {},
        can_act=may(user, Permission.MANAGE_REQUESTS),
        can_review=may(user, Permission.REVIEW_EVIDENCE),
        can_share=sharing_offered and may(user, Permission.SHARE_EVIDENCE),
    )
