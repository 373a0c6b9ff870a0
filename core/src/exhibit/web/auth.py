"""Who is calling: a personal API token in the ``Authorization: Bearer`` header."""

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from exhibit.accounts.models import Role, User
from exhibit.accounts.service import user_for_token
from exhibit.platform import Platform

ROLE_ORDER = [Role.AUDITOR, Role.OFFICER, Role.SUPERVISOR, Role.EVIDENCE_MANAGER, Role.FORCE_ADMIN]


async def current_user(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User:
    """The user whose API token is on the request; 401 without a valid one."""
    return await user_from_headers(request, platform)


async def user_from_headers(
    connection: ASGIConnection[Any, Any, Any, Any], platform: Platform
) -> User:
    """The user of the bearer token on a request or websocket; 401 without a valid one."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("an API token is required (Authorization: Bearer ...)")
    async with platform.system_session() as session:
        user = await user_for_token(session, token.strip())
    if user is None:
        raise NotAuthorizedException("the API token is not valid")
    return user


def require_role(user: User, minimum: Role) -> None:
    """403 unless ``user`` has ``minimum`` or a higher role."""
    if ROLE_ORDER.index(user.role) < ROLE_ORDER.index(minimum):
        raise PermissionDeniedException(f"this needs the {minimum.value} role")
