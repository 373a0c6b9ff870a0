"""``/admin/force/logo``: the force's logo on the witness's pages (``exhibit.forces.logo``).

An administrator uploads a picture and sees the logo as witnesses will, or removes it; a
file that cannot be a logo is refused with the reason and the current logo is kept.
"""

from typing import Any

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.forces.logo import MAX_UPLOAD_BYTES, LogoRefused, logo_path, prepare_logo, set_logo
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

ADMIN = {"permission": Permission.ADMINISTER_FORCE}
FIELD = "logo"
# Room for the form's other fields and the multipart framing around the largest logo file.
MAX_FORM_BYTES = MAX_UPLOAD_BYTES + 64 * 1024


async def _logo_page(
    request: AnyRequest,
    platform: Platform,
    user: User,
    errors: list[FieldError] | None = None,
) -> Template:
    async with platform.force_session(user.force_id) as session:
        force = await session.get(Force, user.force_id)
        assert force is not None
    return page(
        request,
        "admin_logo.html",
        status_code=400 if errors else 200,
        user=user,
        logo_url=logo_path(force.slug, force.logo_sha256),
        errors=errors or [],
    )


@get("/admin/force/logo", include_in_schema=False, opt=ADMIN)
async def logo_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The current logo as witnesses see it, and the form to change or remove it."""
    return await _logo_page(request, platform, user)


@post(
    "/admin/force/logo",
    include_in_schema=False,
    opt=ADMIN,
    request_max_body_size=MAX_FORM_BYTES,
)
async def logo_submit(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Take the uploaded picture as the logo; a refused one changes nothing."""
    upload = (await request.form()).get(FIELD)
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        logo = prepare_logo(data)
    except LogoRefused as exc:
        return await _logo_page(request, platform, user, [FieldError(FIELD, str(exc))])
    async with force_transaction(platform, user.force_id) as tx:
        await set_logo(tx, logo, actor=f"user:{user.id}")
    flash(request, "The logo was saved: witnesses see it on their pages from now on.")
    return see_other("/admin/force/logo")


@post("/admin/force/logo/remove", include_in_schema=False, opt=ADMIN)
async def logo_remove(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Remove the logo: the witness's pages show the force's name alone."""
    async with force_transaction(platform, user.force_id) as tx:
        await set_logo(tx, None, actor=f"user:{user.id}")
    flash(request, "The logo was removed.")
    return see_other("/admin/force/logo")


ADMIN_LOGO_HANDLERS = [logo_page, logo_submit, logo_remove]
