"""Previews and downloads: stored bytes streamed with Range support, never run in our origin.

Every answer is ``Content-Disposition: attachment`` with ``Content-Security-Policy:
sandbox`` and ``nosniff``, and a Content-Type from a short list of safe media types (or
``application/octet-stream``): an uploaded HTML or SVG file can never execute as a page of
the app. ``<img>``, ``<video>`` and ``<audio>`` elements still show attachment responses.
Opening a preview (a request from byte 0) and every download are audited; a download
without a reason shows the item's page again (400), the error by its download form's reason.
"""

from collections.abc import AsyncIterator, Awaitable
from typing import Any
from urllib.parse import quote

from litestar import Response, route
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream
from sqlalchemy import Select, select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit import log as audit
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.evidence.review import actor_of
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.plugins.context import ForceInfo
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.item_queries import (
    SAFE_TYPES,
    StoredFile,
    choose_preview,
    derivative_file,
    find_item,
    original_file,
)
from exhibit.web.officer.items import show_item
from exhibit.web.officer.pages import AnyRequest
from exhibit.web.officer.ranges import ByteRange, RangeNotSatisfiable, parse_range

MAX_REASON = 500
METHODS: list[Any] = ["GET", "HEAD"]


class Gone(HTTPException):
    """The item was disposed of: its bytes no longer exist."""

    status_code = 410


def file_headers(file: StoredFile) -> dict[str, str]:
    """Headers that keep an uploaded file from running as a page of the app."""
    filename = file.filename.replace('"', "").replace("\\", "")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''"
        + quote(filename),
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
    }


def safe_media_type(media_type: str) -> str:
    """The type to send: a known-safe image, video or audio type, else octet-stream."""
    return media_type if media_type in SAFE_TYPES else "application/octet-stream"


async def stream_file(
    request: AnyRequest, platform: Platform, force: ForceInfo, file: StoredFile, wanted: ByteRange
) -> Response[Any]:
    """A 200 or 206 answer streaming ``wanted`` of ``file`` (headers only for HEAD)."""
    headers = file_headers(file) | {"Content-Length": str(wanted.length)}
    partial = wanted.length != file.size or request.headers.get("range") is not None
    status = 206 if partial else 200
    if partial:
        headers["Content-Range"] = wanted.content_range
    media_type = safe_media_type(file.media_type)
    if request.method == "HEAD":
        return Response(b"", status_code=status, headers=headers, media_type=media_type)
    async with platform.force_session(force.id) as session:
        backend = await platform.force_storage(session, force, file.backend)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in backend.read(file.key, wanted.start, wanted.end):
            yield chunk

    return Stream(body(), status_code=status, headers=headers, media_type=media_type)


def _wanted(request: AnyRequest, file: StoredFile) -> ByteRange:
    try:
        wanted = parse_range(request.headers.get("range"), file.size)
    except RangeNotSatisfiable as exc:
        raise RangeRefused(str(exc)) from None
    return wanted or ByteRange(0, file.size, file.size)


class RangeRefused(HTTPException):
    """416: the Range asked for bytes past the end."""

    status_code = 416

    def __init__(self, content_range: str) -> None:
        super().__init__(
            detail="the requested range is not satisfiable",
            headers={"Content-Range": content_range},
        )


def _live(item: EvidenceItem) -> None:
    if item.disposed_at is not None:
        raise Gone(detail=f"item {item.id} was disposed of; its bytes no longer exist")


class ReasonRefused(ClientException):
    """A download without a usable reason: 400 from the API; the web app re-shows the form."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem} (reason=...)")
        self.problem = problem


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRefused("say why you are downloading this")
    if len(reason) > MAX_REASON:
        raise ReasonRefused(f"a reason is at most {MAX_REASON} characters")
    return reason


async def _or_back_to_item(
    request: AnyRequest,
    platform: Platform,
    user: User,
    item_id: int,
    reason: str,
    download: Awaitable[Response[Any]],
) -> Response[Any]:
    """``download``, or the item's page (where its download form is) again (400), saying
    by the reason what is missing."""
    try:
        return await download
    except ReasonRefused as exc:
        error = FieldError("download-reason", exc.problem[:1].upper() + exc.problem[1:])
        return await show_item(request, platform, user, item_id, error, reason)


async def _audit_access(
    platform: Platform,
    user: User,
    item: EvidenceItem,
    action: str,
    *,
    reason: str = "",
    details: dict[str, Any],
) -> ForceInfo:
    async with force_transaction(platform, user.force_id) as tx:
        await audit.record(
            tx.session,
            user.force_id,
            actor=actor_of(user),
            action=action,
            object_type="item",
            object_id=item.id,
            reason=reason,
            details=details,
        )
    return tx.force


@route(
    "/items/{item_id:int}/preview",
    http_method=METHODS,
    include_in_schema=False,
    opt={"permission": Permission.VIEW_CASES},
)
async def preview(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Response[Any]:
    """The item's preview (thumbnail, proxy or safe original); opening it is audited."""
    async with platform.force_session(user.force_id) as session:
        item = await find_item(session, item_id)
        _live(item)
        derivatives = list(await session.scalars(_derivatives_of(item.id)))
    chosen = choose_preview(item, derivatives)
    if chosen is None:
        raise NotFoundException("this item has no preview")
    wanted = _wanted(request, chosen.file)
    details: dict[str, Any] = {"derivative": chosen.derivative.id if chosen.derivative else None}
    if request.method == "GET" and wanted.start == 0:
        force = await _audit_access(platform, user, item, "item.previewed", details=details)
    else:
        force = await _force(platform, user)
    return await stream_file(request, platform, force, chosen.file, wanted)


@route(
    "/items/{item_id:int}/download",
    http_method=METHODS,
    include_in_schema=False,
    opt={"permission": Permission.DOWNLOAD_EVIDENCE},
)
async def download_original(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
    reason: FromQuery[str] = "",
) -> Response[Any]:
    """The original, byte for byte, with the officer's reason recorded."""
    async with platform.force_session(user.force_id) as session:
        item = await find_item(session, item_id)
    _live(item)
    file = original_file(item)
    return await _or_back_to_item(
        request,
        platform,
        user,
        item.id,
        reason,
        download_file(request, platform, user, item, file, reason, derivative=None),
    )


@route(
    "/derivatives/{derivative_id:int}/download",
    http_method=METHODS,
    include_in_schema=False,
    opt={"permission": Permission.DOWNLOAD_EVIDENCE},
)
async def download_derivative(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    derivative_id: FromPath[int],
    reason: FromQuery[str] = "",
) -> Response[Any]:
    """A derivative (thumbnail, proxy, redacted copy), with the officer's reason recorded."""
    async with platform.force_session(user.force_id) as session:
        derivative = await session.get(Derivative, derivative_id)
        if derivative is None:
            raise NotFoundException(f"no derivative {derivative_id}")
        item = await find_item(session, derivative.item_id)
    _live(item)
    file = derivative_file(item, derivative)
    return await _or_back_to_item(
        request,
        platform,
        user,
        item.id,
        reason,
        download_file(request, platform, user, item, file, reason, derivative=derivative.id),
    )


async def download_file(
    request: AnyRequest,
    platform: Platform,
    user: User,
    item: EvidenceItem,
    file: StoredFile,
    reason: str,
    *,
    derivative: int | None,
) -> Response[Any]:
    """Stream ``file`` of ``item``; every GET needs a reason (else ``ReasonRefused``) and is
    audited with its range.

    A resumed download is a download too: without a record, ``Range: bytes=1-`` would
    fetch all but one byte unseen.
    """
    wanted = _wanted(request, file)
    if request.method == "HEAD":
        force = await _force(platform, user)
    else:
        details = {"derivative": derivative, "bytes": [wanted.start, wanted.end]}
        force = await _audit_access(
            platform, user, item, "item.downloaded", reason=_reason(reason), details=details
        )
    return await stream_file(request, platform, force, file, wanted)


async def _force(platform: Platform, user: User) -> ForceInfo:
    async with platform.force_session(user.force_id) as session:
        return await force_info(session, user.force_id)


def _derivatives_of(item_id: int) -> Select[Derivative]:
    return select(Derivative).where(Derivative.item_id == item_id).order_by(Derivative.id)
