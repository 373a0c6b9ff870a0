"""``/account/tokens``: a user's personal API tokens: create one (shown once), list, revoke."""

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.accounts.service import create_api_token, list_api_tokens, revoke_api_token
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

OWN = {"permission": Permission.OWN_ACCOUNT}
MAX_NAME = 200


@get("/account/tokens", include_in_schema=False, opt=OWN)
async def tokens_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The user's tokens, and a form to create one."""
    return await _page(request, platform, user)


@post("/account/tokens", include_in_schema=False, opt=OWN)
async def create_token(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """Create a token and show it this once; only its hash is kept."""
    name = str((await request.form()).get("name", "")).strip()
    if not name or len(name) > MAX_NAME:
        too_long = f"Use {MAX_NAME} characters or fewer"
        error = FieldError("name", too_long if name else "Enter what the token is for")
        return await _page(request, platform, user, error=error, name=name[:MAX_NAME])
    async with force_transaction(platform, user.force_id) as tx:
        _, secret = await create_api_token(tx.session, user, name=name, actor=f"user:{user.id}")
    return await _page(request, platform, user, new_token=secret, new_name=name)


@post("/account/tokens/{token_id:int}/revoke", include_in_schema=False, opt=OWN)
async def revoke_token(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    token_id: FromPath[int],
) -> Response[Any]:
    """Stop one of the user's own tokens working at once (404 for anyone else's)."""
    async with force_transaction(platform, user.force_id) as tx:
        row = await revoke_api_token(tx.session, user.id, token_id, actor=f"user:{user.id}")
        if row is None:
            raise NotFoundException(f"no token {token_id}")
    flash(request, f"The token “{row.name}” was revoked and no longer works.")
    return see_other("/account/tokens")


async def _page(
    request: AnyRequest,
    platform: Platform,
    user: User,
    *,
    error: FieldError | None = None,
    name: str = "",
    new_token: str | None = None,
    new_name: str = "",
) -> Template:
    async with platform.force_session(user.force_id) as session:
        tokens = await list_api_tokens(session, user.id)
    return page(
        request,
        "tokens.html",
        status_code=400 if error else 200,
        user=user,
        tokens=tokens,
        errors=[error] if error else [],
        typed_name=name,
        new_token=new_token,
        new_name=new_name,
    )
