"""Who is signed in: the user named by the officer session, checked on every request.

The session holds only ids, the time of sign-in and the stamp of the password signed in
with. The user is read from the database each time, so a deactivated account stops working
at once, a new password (set with a reset link) ends the sessions begun with the old one,
and a session older than ``ABSOLUTE_SECONDS`` ends however busy it has been (idle expiry is
the store's job).

Between a matching password and a valid two-factor code the session holds only a pending
marker (``PENDING``), which no signed-in page accepts; it lasts ``PENDING_SECONDS``.
"""

import time
from typing import NamedTuple

from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from exhibit.accounts.models import User
from exhibit.accounts.passwords import password_stamp
from exhibit.accounts.permissions import require_declared
from exhibit.forces.models import Force
from exhibit.platform import Platform
from exhibit.web.officer.menu import count_for_menu
from exhibit.web.officer.pages import FORCE_NAME, AnyRequest
from exhibit.web.session_config import ABSOLUTE_SECONDS, rotate_session

USER_ID = "user_id"
FORCE_ID = "force_id"
SIGNED_IN_AT = "signed_in_at"
PASSWORD_STAMP = "password_stamp"  # noqa: S105 (a session key, not a password)
PENDING = "two_factor_pending"
PENDING_SECONDS = 10 * 60


class Pending(NamedTuple):
    """A user whose password matched and who must still give (or set up) a code."""

    user_id: int
    force_id: int
    next_page: str


def start_pending(request: AnyRequest, user: User, next_page: str) -> None:
    """Remember, under a new session id, that ``user`` got their password right."""
    marker = {"user": user.id, "force": user.force_id, "at": int(time.time()), "next": next_page}
    request.set_session({PENDING: marker})
    rotate_session(request)


def pending(request: AnyRequest) -> Pending | None:
    """The user part-way through signing in on this browser, if still in time."""
    marker = request.session.get(PENDING) if "session" in request.scope else None
    if not isinstance(marker, dict):
        return None
    user_id, force_id, at, next_page = (marker.get(k) for k in ("user", "force", "at", "next"))
    if not (isinstance(user_id, int) and isinstance(force_id, int) and isinstance(at, int)):
        return None
    if time.time() - at > PENDING_SECONDS:
        return None
    return Pending(user_id, force_id, next_page if isinstance(next_page, str) else "")


def start_session(request: AnyRequest, user: User, force_name: str = "") -> None:
    """Sign ``user`` in on this browser, under a new session id (the force's name is shown)."""
    request.set_session(
        {
            USER_ID: user.id,
            FORCE_ID: user.force_id,
            SIGNED_IN_AT: int(time.time()),
            PASSWORD_STAMP: password_stamp(user.password_hash),
            FORCE_NAME: force_name,
        }
    )
    rotate_session(request)


async def force_name(platform: Platform, force_id: int) -> str:
    """The force's name, to show in the header of every page."""
    async with platform.force_session(force_id) as db:
        force = await db.get(Force, force_id)
    return force.name if force is not None else ""


def end_session(request: AnyRequest) -> None:
    """Sign this browser out: the session row and cookie go."""
    request.clear_session()


def has_session(request: AnyRequest) -> bool:
    """True if the browser holds a session that names a user (not yet checked)."""
    return isinstance(request.session.get(USER_ID), int)


async def signed_in_user(request: AnyRequest, platform: NamedDependency[Platform]) -> User:
    """The active user of this session, if their role grants what the route declares (and
    what the menu counts for them, noted on the request).

    ``NotAuthorizedException`` sends them to sign in; a role without the route's declared
    permission (or a route that declares none) gets ``PermissionDeniedException`` (403).
    """
    session = request.session
    user_id, force_id, since = (session.get(k) for k in (USER_ID, FORCE_ID, SIGNED_IN_AT))
    if not (isinstance(user_id, int) and isinstance(force_id, int) and isinstance(since, int)):
        raise NotAuthorizedException("sign in to continue")
    if time.time() - since > ABSOLUTE_SECONDS:
        end_session(request)
        raise NotAuthorizedException("your session has ended; sign in again")
    async with platform.force_session(force_id) as db:
        user = await db.get(User, user_id)
        stale = user is not None and session.get(PASSWORD_STAMP) != password_stamp(
            user.password_hash
        )
        if user is None or not user.active or stale:
            end_session(request)
            raise NotAuthorizedException("sign in to continue")
        require_declared(user, request.route_handler)
        await count_for_menu(request, db, user)
    return user
