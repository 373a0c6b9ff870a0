"""What each role may do: the one table every page and API route is checked against.

A route declares the permission it needs (``opt={"permission": Permission.X}``) and the
signed-in user's role either grants it or the request is refused with 403. Roles are not
ranked: a force admin configures the force but does not review evidence, and an auditor
reads everything but changes nothing.
"""

import enum
from collections.abc import Mapping

from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from exhibit.accounts.models import Role, User


class Permission(enum.StrEnum):
    """One kind of action in the officer app and the JSON API."""

    VIEW_CASES = "view_cases"
    """Read cases, requests, evidence items, previews and continuity histories."""
    MANAGE_REQUESTS = "manage_requests"
    """Open, change, close and reopen cases; create, resend, extend and revoke evidence
    requests; read the outbox."""
    REVIEW_EVIDENCE = "review_evidence"
    """Accept, decline, tag, categorise and mark items sensitive."""
    DOWNLOAD_EVIDENCE = "download_evidence"
    """Download an original or a derivative."""
    REQUEST_DISPOSAL = "request_disposal"
    """Ask for an item to be disposed of (or dispose of it where no approval is needed)."""
    APPROVE_DISPOSAL = "approve_disposal"
    """Approve or refuse another user's disposal request."""
    RELEASE_QUARANTINE = "release_quarantine"
    """Release a quarantined item into review after checking it (overrides a force's checks)."""
    SHARE_EVIDENCE = "share_evidence"
    """Share accepted exhibits with a partner such as the CPS."""
    SEARCH_AUDIT = "search_audit"
    """Search the force's audit log and verify its chain."""
    ADMINISTER_FORCE = "administer_force"
    """Manage users, plugins, categories and the force's settings."""
    OWN_ACCOUNT = "own_account"
    """Sign out, and manage one's own two-factor authentication and API tokens."""


_OFFICER = frozenset(
    {
        Permission.VIEW_CASES,
        Permission.MANAGE_REQUESTS,
        Permission.REVIEW_EVIDENCE,
        Permission.DOWNLOAD_EVIDENCE,
        Permission.REQUEST_DISPOSAL,
        Permission.SHARE_EVIDENCE,
        Permission.OWN_ACCOUNT,
    }
)
# Releasing from quarantine overrides what ingest or a force's validator found: like approving
# a disposal, it is a second, senior look, not the reviewing officer's own call.
_SUPERVISOR = _OFFICER | {
    Permission.APPROVE_DISPOSAL,
    Permission.RELEASE_QUARANTINE,
    Permission.SEARCH_AUDIT,
}

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.AUDITOR: frozenset(
        {Permission.VIEW_CASES, Permission.SEARCH_AUDIT, Permission.OWN_ACCOUNT}
    ),
    Role.OFFICER: _OFFICER,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.EVIDENCE_MANAGER: _SUPERVISOR,
    Role.FORCE_ADMIN: frozenset(
        {
            Permission.VIEW_CASES,
            Permission.SEARCH_AUDIT,
            Permission.ADMINISTER_FORCE,
            Permission.OWN_ACCOUNT,
        }
    ),
}


def may(user: User, permission: Permission) -> bool:
    """True if ``user``'s role grants ``permission``."""
    return permission in ROLE_PERMISSIONS[user.role]


def require(user: User, permission: Permission) -> None:
    """403 unless ``user``'s role grants ``permission``."""
    if not may(user, permission):
        raise PermissionDeniedException(f"your role ({user.role.value}) may not do this")


def declared_permission(handler: BaseRouteHandler) -> Permission:
    """The permission a route handler declares in its ``opt``; 403 if it declares none.

    A route that takes the signed-in user but says nothing about what it needs is refused
    outright (fail closed), so forgetting the declaration cannot open a route to every role.
    """
    permission = handler.opt.get("permission")
    if not isinstance(permission, Permission):
        raise PermissionDeniedException("this route declares no permission")
    return permission


def require_declared(user: User, handler: BaseRouteHandler) -> None:
    """403 unless ``user``'s role grants the permission ``handler`` declares."""
    require(user, declared_permission(handler))
