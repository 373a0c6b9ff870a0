"""``/api/v1``: shares of a case's accepted exhibits with a partner, their bundles, revocation."""

import os
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.response import Stream
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.errors import domain_rules_as_400
from exhibit.api.idempotency.route import IdempotencyKeyHeader, idempotent
from exhibit.api.paging import PAGE, Before, Limit, next_page_header, page, paged_help
from exhibit.api.row_ids import RowId
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.bundle import BundleIntegrityError, export_bundle
from exhibit.sharing.delivery import bundle_name
from exhibit.sharing.models import Share, ShareDelivery, ShareItem
from exhibit.sharing.service import (
    NewShare,
    ShareRefused,
    ShareUnavailable,
    create_share,
    find_share,
    revoke_share,
)
from exhibit.sharing.targets import ForceTargets, force_targets

_CHUNK = 256 * 1024
LIST_HELP = paged_help("The shares made from a case", "newest first")


class BundleConflict(ClientException):
    """409: a stored file no longer matches the hash recorded when it arrived."""

    status_code = 409


class ShareIn(msgspec.Struct, forbid_unknown_fields=True):
    """Share accepted exhibits with one recipient: an email address, or a configured unit.

    Each item is shared as its redacted (else disclosure) copy; list an item in
    ``originals`` with a reason to share its unredacted original instead.
    """

    item_ids: list[RowId]
    target: str
    expires_in_days: int
    recipient: str | None = None
    unit: str | None = None
    allow_download: bool = False
    originals: dict[RowId, str] = msgspec.field(default_factory=dict)


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a share is withdrawn."""

    reason: str


class SharedItemOut(msgspec.Struct):
    """One item of a share and the copy given."""

    item_id: int
    derivative_id: int | None
    original_reason: str


class ShareOut(msgspec.Struct):
    """A share and where its delivery stands."""

    id: int
    case_id: int
    target: str
    recipient: str
    allow_download: bool
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    live: bool
    delivery: str
    items: list[SharedItemOut]


class SharesController(Controller):
    """Shares of the caller's force."""

    path = "/"
    tags = ["shares"]

    @idempotent
    @post("/cases/{case_id:int}/shares", opt={"permission": Permission.SHARE_EVIDENCE})
    async def create(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        data: JSONBody[ShareIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> ShareOut:
        """Share accepted exhibits of a case; sensitive items are refused."""
        with domain_rules_as_400():
            if not 1 <= data.expires_in_days <= 366:
                raise ShareRefused("expires_in_days must be between 1 and 366")
            async with force_transaction(platform, user.force_id) as tx:
                if await tx.session.get(Case, case_id) is None:
                    raise NotFoundException(f"no case {case_id}")
                targets = await force_targets(tx.session, platform, user.force_id)
                share = await create_share(
                    tx,
                    NewShare(
                        case_id=case_id,
                        item_ids=tuple(data.item_ids),
                        recipient=_recipient(targets, data),
                        expires_at=utcnow() + timedelta(days=data.expires_in_days),
                        target=data.target,
                        allow_download=data.allow_download,
                        originals=data.originals,
                    ),
                    targets=targets.offered,
                    user_id=user.id,
                    actor=f"user:{user.id}",
                )
                share_id = share.id
        return await _show(platform, user.force_id, share_id)

    @get(
        "/cases/{case_id:int}/shares",
        opt={"permission": Permission.VIEW_CASES},
        description=LIST_HELP,
        response_headers=[next_page_header("shares")],
    )
    async def list_shares(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        case_id: FromPath[int],
        limit: Limit = PAGE,
        before: Before = None,
    ) -> Response[list[ShareOut]]:
        """The shares made from a case, newest first, a page at a time; 404 for another
        force's case."""
        query = (
            select(Share).where(Share.case_id == case_id).order_by(Share.id.desc()).limit(limit + 1)
        )
        if before is not None:
            query = query.where(Share.id < before)
        async with platform.force_session(user.force_id) as session:
            if await session.get(Case, case_id) is None:
                raise NotFoundException(f"no case {case_id}")
            shares = await _shares_out(session, list(await session.scalars(query)))
        return page(request, shares, limit=limit, cursor="before")

    @get("/shares/{share_id:int}", opt={"permission": Permission.VIEW_CASES})
    async def show(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        share_id: FromPath[int],
    ) -> ShareOut:
        """One share of the force; 404 for any other."""
        return await _show(platform, user.force_id, share_id)

    @post("/shares/{share_id:int}/revoke", opt={"permission": Permission.SHARE_EVIDENCE})
    async def revoke(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        share_id: FromPath[int],
        data: JSONBody[RevokeIn],
    ) -> ShareOut:
        """Revoke a share at once; its recipient's next request is refused."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                try:
                    await revoke_share(
                        tx.session, share_id, actor=f"user:{user.id}", reason=data.reason
                    )
                except ShareUnavailable as exc:
                    raise NotFoundException(str(exc)) from None
        return await _show(platform, user.force_id, share_id)

    @get(
        "/shares/{share_id:int}/bundle",
        opt={"permission": Permission.SHARE_EVIDENCE},
        media_type="application/zip",
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type="application/zip",
                description="The signed bundle, a ZIP file",
            )
        },
        raises=[BundleConflict],
    )
    async def bundle(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        share_id: FromPath[int],
    ) -> Stream:
        """The share's signed bundle (ZIP), exported now; refused once revoked or expired."""
        with domain_rules_as_400():
            path = await write_bundle_file(platform, user.force_id, share_id, f"user:{user.id}")
        return Stream(
            stream_file_then_delete(path),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{bundle_name("share", share_id)}"'
            },
        )


async def write_bundle_file(
    platform: Platform, force_id: int, share_id: int, actor: str, recipient: str | None = None
) -> str:
    """Export a share's bundle into a temporary file and return its path.

    404 for a share that is not live (revoked, expired, someone else's); 409 when a stored
    file no longer matches its hash.
    """
    fd, path = tempfile.mkstemp(prefix="exhibit-bundle-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out:
            await export_bundle(platform, force_id, share_id, out, actor=actor, recipient=recipient)
    except ShareUnavailable as exc:
        os.unlink(path)
        raise NotFoundException(str(exc)) from None
    except BundleIntegrityError as exc:
        os.unlink(path)
        raise BundleConflict(str(exc)) from None
    except BaseException:
        os.unlink(path)
        raise
    return path


async def stream_file_then_delete(path: str) -> AsyncIterator[bytes]:
    """Yield a file in chunks, then remove it."""
    try:
        async with await anyio.open_file(path, "rb") as data:
            while chunk := await data.read(_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _recipient(targets: ForceTargets, data: ShareIn) -> str:
    if (data.recipient is None) == (data.unit is None):
        raise ShareRefused("give either a recipient email address or a unit, not both")
    if data.unit is not None:
        return targets.unit_address(data.target, data.unit)
    assert data.recipient is not None
    return data.recipient


async def _show(platform: Platform, force_id: int, share_id: int) -> ShareOut:
    async with platform.force_session(force_id) as session:
        return await _share_out(session, share_id)


async def _share_out(session: AsyncSession, share_id: int) -> ShareOut:
    """The API view of the share ``share_id``, in a session scoped to its force; 404 for one
    the force does not have."""
    try:
        share = await find_share(session, share_id)
    except ShareUnavailable as exc:
        raise NotFoundException(str(exc)) from None
    [out] = await _shares_out(session, [share])
    return out


async def _shares_out(session: AsyncSession, shares: list[Share]) -> list[ShareOut]:
    """The API view of ``shares``, in their order, with their items and delivery states."""
    ids = [share.id for share in shares]
    items = (
        await session.scalars(
            select(ShareItem).where(ShareItem.share_id.in_(ids)).order_by(ShareItem.id)
        )
    ).all()
    deliveries = {
        share_id: state
        for share_id, state in await session.execute(
            select(ShareDelivery.share_id, ShareDelivery.state).where(
                ShareDelivery.share_id.in_(ids)
            )
        )
    }
    given: dict[int, list[SharedItemOut]] = {share_id: [] for share_id in ids}
    for i in items:
        given[i.share_id].append(SharedItemOut(i.item_id, i.derivative_id, i.original_reason))
    now = utcnow()
    return [
        ShareOut(
            id=share.id,
            case_id=share.case_id,
            target=share.target,
            recipient=share.recipient,
            allow_download=share.allow_download,
            expires_at=share.expires_at,
            revoked_at=share.revoked_at,
            created_at=share.created_at,
            live=share.revoked_at is None and share.expires_at > now,
            delivery=delivery.value if (delivery := deliveries.get(share.id)) else "",
            items=given[share.id],
        )
        for share in shares
    ]
