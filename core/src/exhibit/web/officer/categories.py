"""``/admin/categories``: the force's evidence categories and their retention periods."""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.evidence.categories import (
    CategoryRefused,
    RetentionRefused,
    add_category,
    change_retention,
    list_categories,
)
from exhibit.evidence.models import Category
from exhibit.evidence.review import actor_of
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.form_values import whole_number
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

PAGE = "/admin/categories"
ADD_FIELDS = ("name", "retention_days")


@get(PAGE, include_in_schema=False, opt={"permission": Permission.ADMINISTER_FORCE})
async def categories_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The categories, with a form to add one and to change each one's retention."""
    return await _categories_page(request, platform, user)


async def _categories_page(
    request: AnyRequest,
    platform: Platform,
    user: User,
    values: dict[str, str] | None = None,
    error: FieldError | None = None,
) -> Template:
    async with platform.force_session(user.force_id) as session:
        categories = await list_categories(session)
    return page(
        request,
        "categories.html",
        status_code=400 if error else 200,
        user=user,
        categories=categories,
        values=values or dict.fromkeys(ADD_FIELDS, ""),
        errors=[error] if error else [],
        retention_field=_retention_field,
    )


def _days(value: object) -> int:
    days = whole_number(str(value or ""))
    if days is None:
        raise RetentionRefused("retention is a whole number of days")
    return days


@post(PAGE, include_in_schema=False, opt={"permission": Permission.ADMINISTER_FORCE})
async def add_category_submit(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Define a new category; a problem shows the form again (400) with what was typed."""
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in ADD_FIELDS}
    try:
        async with force_transaction(platform, user.force_id) as tx:
            category = await add_category(
                tx.session,
                user.force_id,
                name=values["name"],
                retention_days=_days(values["retention_days"]),
                actor=actor_of(user),
            )
    except CategoryRefused as exc:
        field = "retention_days" if isinstance(exc, RetentionRefused) else "name"
        error = FieldError(field, _sentence(str(exc)))
        return await _categories_page(request, platform, user, values, error)
    flash(request, f"Category {category.name} added.")
    return see_other(PAGE)


@post(
    PAGE + "/{category_id:int}",
    include_in_schema=False,
    opt={"permission": Permission.ADMINISTER_FORCE},
)
async def change_category(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    category_id: FromPath[int],
) -> Response[Any]:
    """Change a category's retention period; a refused one shows the page again (400), the
    error by that category's field, with what was typed."""
    typed = str((await request.form()).get("retention_days", ""))
    try:
        async with force_transaction(platform, user.force_id) as tx:
            category = await tx.session.get(Category, category_id)
            if category is None:
                raise NotFoundException(f"no category {category_id}")
            await change_retention(
                tx.session, category, retention_days=_days(typed), actor=actor_of(user)
            )
    except RetentionRefused as exc:
        field = _retention_field(category_id)
        values = dict.fromkeys(ADD_FIELDS, "") | {field: typed}
        error = FieldError(field, _sentence(str(exc)))
        return await _categories_page(request, platform, user, values, error)
    flash(request, f"Retention of {category.name} changed.")
    return see_other(PAGE)


def _retention_field(category_id: int) -> str:
    return f"retention-{category_id}"


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
