"""Who is signed in: the user named by the officer session, checked on every request.

The session holds only ids and the time of sign-in. The user is read from the database
each time, so a deactivated account stops working at once, and a session older than
``ABSOLUTE_SECONDS`` ends however busy it has been (idle expiry is the store's job).
"""

import time

from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from exhibit.accounts.models import User
from exhibit.platform import Platform
from exhibit.web.officer.pages import AnyRequest
from exhibit.web.session_config import ABSOLUTE_SECONDS, rotate_session

USER_ID = "user_id"
FORCE_ID = "force_id"
SIGNED_IN_AT = "signed_in_at"


def start_session(request: AnyRequest, user: User) -> None:
    """Sign ``user`` in on this browser, under a new session id."""
    request.set_session({USER_ID: user.id, FORCE_ID: user.force_id, SIGNED_IN_AT: int(time.time())})
    rotate_session(request)


def end_session(request: AnyRequest) -> None:
    """Sign this browser out: the session row and cookie go."""
    request.clear_session()


def has_session(request: AnyRequest) -> bool:
    """True if the browser holds a session that names a user (not yet checked)."""
    return isinstance(request.session.get(USER_ID), int)


async def signed_in_user(request: AnyRequest, platform: NamedDependency[Platform]) -> User:
    """The active user of this session; ``NotAuthorizedException`` sends them to sign in."""
    session = request.session
    user_id, force_id, since = (session.get(k) for k in (USER_ID, FORCE_ID, SIGNED_IN_AT))
    if not (isinstance(user_id, int) and isinstance(force_id, int) and isinstance(since, int)):
        raise NotAuthorizedException("sign in to continue")
    if time.time() - since > ABSOLUTE_SECONDS:
        end_session(request)
        raise NotAuthorizedException("your session has ended; sign in again")
    async with platform.force_session(force_id) as db:
        user = await db.get(User, user_id)
    if user is None or not user.active:
        end_session(request)
        raise NotAuthorizedException("sign in to continue")
    return user
