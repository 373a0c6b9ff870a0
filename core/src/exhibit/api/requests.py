"""``/api/v1/requests``: one evidence request: its messages, and resend, extend or revoke."""

from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.api.errors import domain_rules_as_400
from exhibit.api.idempotency.route import IdempotencyKeyHeader, idempotent
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationStatusChange,
)
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.uploads.requests import extend_request, resend_request, revoke_request


class RequestOut(msgspec.Struct):
    """An evidence request; the link itself is never shown again after it is sent."""

    id: int
    case_id: int
    recipient_name: str
    channels: list[str]
    state: RequestState
    max_files: int
    max_file_bytes: int
    expires_at: datetime
    created_at: datetime


class StatusOut(msgspec.Struct):
    """One step of a message's delivery."""

    status: DeliveryStatus
    detail: str
    occurred_at: datetime


class NotificationOut(msgspec.Struct):
    """A message sent for the request, with its delivery history."""

    id: int
    channel: str
    provider: str
    purpose: str
    status: DeliveryStatus
    history: list[StatusOut]
    status_detail: str = ""
    """The provider's reason for the latest status (a failure's cause), recipient removed."""
    used_fallback: bool = False
    """True once the message went through the force's fallback provider."""


class ExtendIn(msgspec.Struct, forbid_unknown_fields=True):
    """How many days from now the link should keep working."""

    days: int


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the link is being stopped."""

    reason: str


def request_out(r: EvidenceRequest) -> RequestOut:
    """The API view of a request."""
    return RequestOut(
        r.id,
        r.case_id,
        r.recipient_name,
        list(r.channels),
        r.state,
        r.max_files,
        r.max_file_bytes,
        r.expires_at,
        r.created_at,
    )


async def _request(session: AsyncSession, request_id: int) -> EvidenceRequest:
    request = await session.get(EvidenceRequest, request_id)
    if request is None:
        raise NotFoundException(f"no request {request_id}")
    return request


class RequestsController(Controller):
    """Evidence requests of the caller's force."""

    path = "/requests"
    tags = ["requests"]

    @get("/{request_id:int}", opt={"permission": Permission.VIEW_CASES})
    async def show(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        request_id: FromPath[int],
    ) -> RequestOut:
        """One request; 404 for another force's."""
        async with platform.force_session(user.force_id) as session:
            return request_out(await _request(session, request_id))

    @get("/{request_id:int}/notifications", opt={"permission": Permission.VIEW_CASES})
    async def notifications(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        request_id: FromPath[int],
    ) -> list[NotificationOut]:
        """The messages sent for a request and how their delivery went."""
        async with platform.force_session(user.force_id) as session:
            await _request(session, request_id)
            rows = (
                await session.scalars(
                    select(Notification)
                    .where(Notification.request_id == request_id)
                    .order_by(Notification.id)
                )
            ).all()
            changes = (
                await session.scalars(
                    select(NotificationStatusChange)
                    .where(NotificationStatusChange.notification_id.in_([n.id for n in rows]))
                    .order_by(NotificationStatusChange.id)
                )
            ).all()
        return [
            NotificationOut(
                n.id,
                n.channel,
                n.provider,
                n.purpose,
                n.status,
                [
                    StatusOut(c.status, c.detail, c.occurred_at)
                    for c in changes
                    if c.notification_id == n.id
                ],
                status_detail=n.status_detail,
                used_fallback=n.used_fallback,
            )
            for n in rows
        ]

    @idempotent
    @post("/{request_id:int}/resend", opt={"permission": Permission.MANAGE_REQUESTS})
    async def resend(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        request_id: FromPath[int],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> RequestOut:
        """Send a new link (the old one stops working) through the request's channels."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                request = await _request(tx.session, request_id)
                force = await tx.session.get(Force, user.force_id)
                assert force is not None
                await resend_request(
                    tx.session,
                    platform.secret_box,
                    force,
                    request,
                    actor=f"user:{user.id}",
                    public_url=platform.settings.public_url,
                )
        return request_out(request)

    @post("/{request_id:int}/extend", opt={"permission": Permission.MANAGE_REQUESTS})
    async def extend(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        request_id: FromPath[int],
        data: JSONBody[ExtendIn],
    ) -> RequestOut:
        """Keep the link working for ``days`` more days from now."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                request = await _request(tx.session, request_id)
                await extend_request(tx.session, request, days=data.days, actor=f"user:{user.id}")
        return request_out(request)

    @post("/{request_id:int}/revoke", opt={"permission": Permission.MANAGE_REQUESTS})
    async def revoke(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        request_id: FromPath[int],
        data: JSONBody[RevokeIn],
    ) -> RequestOut:
        """Stop the link at once, giving a reason."""
        with domain_rules_as_400():
            async with force_transaction(platform, user.force_id) as tx:
                request = await _request(tx.session, request_id)
                await revoke_request(
                    tx.session, request, reason=data.reason, actor=f"user:{user.id}"
                )
        return request_out(request)
