"""``/api/v1/cases/{id}``: changing a case's details, closing it and reopening it.

The same rules as the web app: every change is audited (old and new values, or the reason),
a refused change is a 400 that changes nothing, another force's case is 404.
"""

from typing import Annotated

import msgspec
from litestar import Controller, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.cases import CaseOut, case_out, find_case
from exhibit.api.errors import domain_rules_as_400
from exhibit.cases.closure import MAX_REASON, OpenLinksChanged, close_case, reopen_case
from exhibit.cases.service import MAX_REFERENCE, MAX_TITLE, change_case_details
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform

# The schema's descriptions (handler docstrings are not put in the schema).
CHANGE_HELP = (
    "Change a case's reference or title; a field left out keeps its value. Audited with the "
    "old and new values. A reference another case of the force has, in any capitals, is "
    "refused (400). Exhibit references already given keep the reference they were given under."
)
CLOSE_HELP = (
    "Close a case, giving a reason: no evidence can be requested on it until it is reopened. "
    "Its requests whose links still work are revoked with the same reason, but only if "
    "revoke_open_requests is their number; otherwise 400, and nothing changes. Evidence "
    "already received can still be reviewed and shared."
)
REOPEN_HELP = (
    "Reopen a closed case, giving a reason, so that evidence can be requested on it again. "
    "Links revoked when it closed stay revoked."
)

Reason = Annotated[
    str, msgspec.Meta(max_length=MAX_REASON, description="Why; recorded in the audit log.")
]


class CaseChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """New details for a case; a field left out (or null) keeps its value."""

    reference: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=MAX_REFERENCE,
                description="The force's own reference: unique in the force, ignoring capitals.",
            ),
        ]
        | None
    ) = None
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)] | None = None


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the case is closed, and how many still-open evidence links closing may revoke."""

    reason: Reason
    revoke_open_requests: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            description=(
                "How many of the case's requests with a working link you expect closing to "
                "revoke (with the reason). If the case has another number, nothing changes and "
                "the 400 says how many are open, so no link is stopped unseen."
            ),
        ),
    ] = 0


class ReopenIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the case is reopened."""

    reason: Reason


class CaseChangesController(Controller):
    """Changes to one case of the caller's force."""

    path = "/cases"
    tags = ["cases"]

    @patch(
        "/{case_id:int}",
        opt={"permission": Permission.MANAGE_REQUESTS},
        summary="Change a case's details",
        description=CHANGE_HELP,
    )
    async def change(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        data: JSONBody[CaseChangeIn],
    ) -> CaseOut:
        """Change a case's reference or title (``CHANGE_HELP``)."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                case = await find_case(tx.session, case_id)
                await change_case_details(
                    tx.session,
                    case,
                    reference=data.reference,
                    title=data.title,
                    actor=f"user:{user.id}",
                )
        return case_out(case)

    @post(
        "/{case_id:int}/close",
        opt={"permission": Permission.MANAGE_REQUESTS},
        summary="Close a case",
        description=CLOSE_HELP,
    )
    async def close(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        data: JSONBody[CloseIn],
    ) -> CaseOut:
        """Close a case and revoke its open links, as confirmed (``CLOSE_HELP``)."""
        with domain_rules_as_400():
            try:
                async with force_transaction(platform, user.force_id) as tx:
                    case = await find_case(tx.session, case_id)
                    await close_case(
                        tx.session,
                        case,
                        reason=data.reason,
                        revoking=data.revoke_open_requests,
                        actor=f"user:{user.id}",
                    )
            except OpenLinksChanged as exc:
                raise ValidationException(
                    f"{exc.count} evidence request{'s' if exc.count != 1 else ''} on this case "
                    f"{'has' if exc.count == 1 else 'have'} a working link, and closing revokes "
                    f"them: send revoke_open_requests {exc.count} to close it, or revoke them "
                    "first"
                ) from None
        return case_out(case)

    @post(
        "/{case_id:int}/reopen",
        opt={"permission": Permission.MANAGE_REQUESTS},
        summary="Reopen a case",
        description=REOPEN_HELP,
    )
    async def reopen(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        data: JSONBody[ReopenIn],
    ) -> CaseOut:
        """Reopen a closed case (``REOPEN_HELP``)."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                case = await find_case(tx.session, case_id)
                await reopen_case(tx.session, case, reason=data.reason, actor=f"user:{user.id}")
        return case_out(case)
