"""How officer sessions travel: an HttpOnly cookie naming a row in the shared database.

Two changes to Litestar's server-side backend: a request without a session writes nothing
(a witness's page or an anonymous visit must not create rows), and a handler can ask for a
fresh session id (``rotate_session``), which signing in does so that an id planted in a
browser before sign-in is worthless after it.
"""

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from exhibit.settings import Settings

SESSION_COOKIE = "exhibit_session"
IDLE_SECONDS = 60 * 60
ABSOLUTE_SECONDS = 8 * 60 * 60
_ROTATE = "exhibit.rotate_session"
# Paths that never use the officer session: token-authenticated API and metrics, tus
# uploads, the probes, and the forces' logos.
SESSIONLESS_PATHS = [
    "^/api/",
    "^/uploads(/|$)",
    "^/static/",
    "^/healthz$",
    "^/readyz$",
    "^/metrics$",
    "^/forces/[^/]+/logo/",
    "^/schema",
]


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Store this request's session under a new id and forget the old one."""
    connection.scope["state"][_ROTATE] = True


class RotatingSessionBackend(ServerSideSessionBackend):
    """Server-side sessions that skip empty sessions and can change their id."""

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        """Save the session and set its cookie, or clear both when the session is empty."""
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        cookie_id = connection.cookies.get(self.config.key)
        if cookie_id == "null":
            cookie_id = None
        cookie_params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        if scope_session is Empty or not scope_session:
            if cookie_id:
                await self.delete(cookie_id, store=store)
                cookie = Cookie(value="null", key=self.config.key, expires=0, **cookie_params)
                headers.add("Set-Cookie", cookie.to_header(header=""))
            return
        session_id = cookie_id
        if session_id is None or connection.scope["state"].pop(_ROTATE, False):
            if session_id is not None:
                await self.delete(session_id, store=store)
            session_id = self.generate_session_id()
        data = self.serialize_data(scope_session, connection.scope)
        await self.set(session_id=session_id, data=data, store=store)
        cookie = Cookie(value=session_id, key=self.config.key, **cookie_params)
        headers.add("Set-Cookie", cookie.to_header(header=""))


@dataclass
class OfficerSessionConfig(ServerSideSessionConfig):
    """``ServerSideSessionConfig`` with the rotating backend."""

    _backend_class = RotatingSessionBackend


def session_config(settings: Settings) -> OfficerSessionConfig:
    """Cookie settings for officer sessions: idle expiry here, absolute expiry on sign-in."""
    return OfficerSessionConfig(
        key=SESSION_COOKIE,
        max_age=IDLE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
        exclude=SESSIONLESS_PATHS,
        store="sessions",
    )
