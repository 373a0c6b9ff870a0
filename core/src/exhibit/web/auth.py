"""Who is calling: a personal API token in the ``Authorization: Bearer`` header."""

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from exhibit.accounts.models import User
from exhibit.accounts.permissions import require_declared
from exhibit.accounts.service import TokenRefused, user_for_token
from exhibit.platform import Platform


async def current_user(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User:
    """The user whose API token is on the request, if their role grants the route's permission.

    401 without a valid token; 403 when the role lacks the permission the route declares
    (or the route declares none).
    """
    user = await user_from_headers(request, platform)
    require_declared(user, request.route_handler)
    return user


async def user_from_headers(
    connection: ASGIConnection[Any, Any, Any, Any], platform: Platform
) -> User:
    """The user of the bearer token on a request or websocket.

    401 without a valid one, saying why (missing, unknown, revoked, account deactivated),
    with the ``WWW-Authenticate`` challenge of RFC 6750.
    """
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "an API token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": 'Bearer realm="exhibit"'},
        )
    try:
        async with platform.system_session() as session:
            return await user_for_token(session, token.strip())
    except TokenRefused as exc:
        raise NotAuthorizedException(
            str(exc), headers={"WWW-Authenticate": 'Bearer realm="exhibit", error="invalid_token"'}
        ) from None
