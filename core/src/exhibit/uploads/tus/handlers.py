"""The tus 1.0.0 endpoints at ``/uploads/``: HTTP and tus in, service calls out.

Like tusd's unrouted handler, this module knows headers and status codes and nothing about
disks: ``service`` does the work. Every request but OPTIONS must speak tus 1.0.0 and carry
the witness's link token in ``Exhibit-Upload-Token`` (never in the URL, which ends up in
logs). Every answer carries ``Tus-Resumable``; refusals are short plain text without case
data. Neither tokens nor metadata values are logged.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod, MediaType
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from exhibit.platform import Platform, ProviderUnavailable
from exhibit.ratelimit.limiter import RateLimited
from exhibit.storage.backend import StorageError
from exhibit.uploads.links import MAX_TOKEN_LENGTH, LinkProblem, LinkRefused, hash_token
from exhibit.uploads.tus import protocol
from exhibit.uploads.tus.access import Link, count_link_use, open_link
from exhibit.uploads.tus.lease import UploadLocked
from exhibit.uploads.tus.protocol import ProtocolError
from exhibit.uploads.tus.service import (
    BodyInterrupted,
    ChecksumMismatch,
    Chunk,
    OffsetConflict,
    TooManyFiles,
    UploadGone,
    UploadIsEvidence,
    UploadNotFound,
    UploadTooLarge,
    UploadView,
    create_upload,
    describe_upload,
    terminate_upload,
    write_chunk,
    write_chunk_with_token,
)

TOKEN_HEADER = "Exhibit-Upload-Token"  # noqa: S105 - a header name, not a secret
OVERRIDE_HEADER = "X-HTTP-Method-Override"
UPLOADS_PATH = "/uploads"

AnyRequest = Request[Any, Any, Any]

log = logging.getLogger(__name__)

_LINK_REFUSALS = {
    LinkProblem.UNKNOWN: (401, "This upload link is not recognised."),
    LinkProblem.EXPIRED: (403, "This upload link has expired. Ask the officer for a new one."),
    LinkProblem.REVOKED: (403, "This upload link has been withdrawn."),
    LinkProblem.SUBMITTED: (403, "Evidence has already been sent through this link."),
}
_REFUSALS: dict[type[Exception], tuple[int, str]] = {
    UploadNotFound: (404, "Upload not found."),
    UploadGone: (410, "This upload has expired or was cancelled. Start it again."),
    UploadTooLarge: (413, "The file is larger than this link accepts."),
    TooManyFiles: (403, "This link accepts no more files."),
    ChecksumMismatch: (protocol.CHECKSUM_MISMATCH, "The data does not match its checksum."),
    UploadIsEvidence: (403, "A completed upload is evidence now and cannot be deleted."),
    UploadLocked: (423, "Another request is writing to this upload. Try again shortly."),
    BodyInterrupted: (400, "The upload data stopped before its end."),
    # The force's store failed or is not set up: nothing was recorded, the client retries.
    StorageError: (503, "Evidence storage is unavailable just now. The upload will resume."),
    ProviderUnavailable: (503, "Evidence storage is unavailable just now. The upload will resume."),
}


class TusController(Controller):
    """tus 1.0.0 with creation, creation-with-upload, termination, checksum and expiration.

    One handler per path dispatches on the method, as tusd does: Litestar would otherwise
    add its own OPTIONS answer, and ``X-HTTP-Method-Override`` needs the same dispatch.
    """

    path = UPLOADS_PATH
    include_in_schema = False
    request_max_body_size = None  # bodies are streamed to storage, never held in memory
    # The link token in a header is the proof of intent (a cross-site form cannot set it),
    # and uploads never use the officer session: opt out whatever the path's spelling.
    opt = {"exclude_from_csrf": True, "skip_session": True}

    @route("/", http_method=[HttpMethod.OPTIONS, HttpMethod.POST])
    async def uploads(
        self, request: AnyRequest, platform: NamedDependency[Platform]
    ) -> Response[Any]:
        """OPTIONS: what the server supports. POST: begin an upload, with data if sent."""
        method = _method(request)
        if method == "OPTIONS":
            return await _discover(request, platform)
        if method != "POST":
            return _reply(405, {"Allow": "OPTIONS, POST"}, text="Only POST creates an upload.")
        return await _answer(request, platform, _create)

    @route(
        "/{public_id:str}",
        http_method=[
            HttpMethod.OPTIONS,
            HttpMethod.HEAD,
            HttpMethod.PATCH,
            HttpMethod.DELETE,
            HttpMethod.POST,
        ],
    )
    async def upload(
        self, request: AnyRequest, platform: NamedDependency[Platform], public_id: FromPath[str]
    ) -> Response[Any]:
        """HEAD: where an upload stands. PATCH: append data. DELETE: discard it."""
        method = _method(request)
        if method == "OPTIONS":
            return await _discover(request, platform)
        action = _UPLOAD_ACTIONS.get(method)
        if action is None:
            return _reply(405, {"Allow": _ALLOWED}, text="Use HEAD, PATCH or DELETE on an upload.")
        return await _answer(request, platform, action, public_id)


def _method(request: AnyRequest) -> str:
    """The request's method, or the one ``X-HTTP-Method-Override`` names on a POST."""
    override = request.headers.get(OVERRIDE_HEADER)
    if request.method == "POST" and override:
        return override.strip().upper()
    return request.method


_Action = Callable[[AnyRequest, Platform, Link, str], Awaitable[Response[Any]]]


async def _answer(
    request: AnyRequest, platform: Platform, action: _Action, public_id: str = ""
) -> Response[Any]:
    """Check the protocol version and the token, run ``action``, and turn refusals into answers."""
    try:
        protocol.check_resumable(request.headers.get("Tus-Resumable"))
        token = request.headers.get(TOKEN_HEADER)
        if not token:
            return _reply(401, text=f"The {TOKEN_HEADER} header is required.")
        token = token.strip()
        if action is _append:
            return await _patch(request, platform, token, public_id)
        link = await open_link(platform, token, _client(request))
        return await action(request, platform, link, public_id)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise
        if request.method == "HEAD":
            refusal.content = b""
        return refusal


async def _create(
    request: AnyRequest, platform: Platform, link: Link, _public_id: str
) -> Response[Any]:
    headers = request.headers
    if headers.get("Upload-Defer-Length") is not None:
        raise ProtocolError(400, "Upload-Length is required; deferred length is not supported.")
    length = protocol.parse_size(headers.get("Upload-Length"), "Upload-Length")
    metadata = protocol.read_upload_metadata(
        protocol.parse_metadata(headers.get("Upload-Metadata"))
    )
    with_data = protocol.is_offset_stream(headers.get("Content-Type"))
    chunk = _chunk(request, offset=0) if with_data or length == 0 else None
    view = await create_upload(platform, link, length, metadata)
    location = {"Location": f"{UPLOADS_PATH}/{view.public_id}"}
    if chunk is not None:
        try:
            view = await write_chunk(platform, link, view.public_id, chunk)
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            refusal.headers.update(location)
            return refusal
        location["Upload-Offset"] = str(view.offset)
    return _reply(201, {**location, **_expiry(view)})


async def _describe(
    request: AnyRequest, platform: Platform, link: Link, public_id: str
) -> Response[Any]:
    view = await describe_upload(platform, link, public_id)
    headers = {
        "Upload-Offset": str(view.offset),
        "Upload-Length": str(view.length),
        **_expiry(view),
    }
    if metadata := view.metadata.as_header():
        headers["Upload-Metadata"] = metadata
    return _reply(200, headers)


async def _append(
    request: AnyRequest, platform: Platform, link: Link, public_id: str
) -> Response[Any]:
    if not protocol.is_offset_stream(request.headers.get("Content-Type")):
        return _reply(415, text=f"Upload data must be sent as {protocol.OFFSET_STREAM}.")
    offset = protocol.parse_size(request.headers.get("Upload-Offset"), "Upload-Offset")
    return _appended(await write_chunk(platform, link, public_id, _chunk(request, offset)))


async def _patch(
    request: AnyRequest, platform: Platform, token: str, public_id: str
) -> Response[Any]:
    """PATCH: a well-formed chunk of a live link at the right offset goes the direct way.

    The direct way checks the token and takes the upload's lease in one database write
    (``write_chunk_with_token``). Anything else (a malformed request, a refused link, a
    wrong offset, a busy or finished upload) goes the ordinary way, which opens the link,
    counts the request against the link's rate limit, and refuses precisely. A direct
    PATCH is counted only if it stores nothing (it was refused, or its body failed): a live
    link moving its upload forward is bounded by the link's file and size limits rather
    than by a request count (see bench/README.md).
    """
    chunk = _direct_chunk(request, token)
    if chunk is not None:
        try:
            view = await write_chunk_with_token(platform, hash_token(token), public_id, chunk)
        except Exception:
            await count_link_use(platform, token)
            raise
        if view is not None:
            return _appended(view)
    link = await open_link(platform, token, _client(request))
    if chunk is None:
        return await _append(request, platform, link, public_id)
    return _appended(await write_chunk(platform, link, public_id, chunk))


def _direct_chunk(request: AnyRequest, token: str) -> Chunk | None:
    """The chunk of a well-formed, non-empty PATCH (body not read yet), or None."""
    headers = request.headers
    if len(token) > MAX_TOKEN_LENGTH or not protocol.is_offset_stream(headers.get("Content-Type")):
        return None
    try:
        offset = protocol.parse_size(headers.get("Upload-Offset"), "Upload-Offset")
        chunk = _chunk(request, offset)
    except ProtocolError:
        return None
    # Without a size there is no telling that the request moves the upload forward.
    return chunk if chunk.size else None


def _appended(view: UploadView) -> Response[Any]:
    return _reply(204, {"Upload-Offset": str(view.offset), **_expiry(view)})


def _client(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


async def _terminate(
    request: AnyRequest, platform: Platform, link: Link, public_id: str
) -> Response[Any]:
    await terminate_upload(platform, link, public_id)
    return _reply(204)


async def _discover(request: AnyRequest, platform: Platform) -> Response[Any]:
    headers = {
        "Tus-Version": protocol.TUS_VERSION,
        "Tus-Extension": ",".join(protocol.EXTENSIONS),
        "Tus-Checksum-Algorithm": ",".join(protocol.CHECKSUM_ALGORITHMS),
    }
    token = request.headers.get(TOKEN_HEADER)
    if token:
        try:
            link = await open_link(platform, token.strip(), _client(request))
        except (LinkRefused, RateLimited):
            pass
        else:
            headers["Tus-Max-Size"] = str(link.max_file_bytes)
    return _reply(204, headers)


def _chunk(request: AnyRequest, offset: int) -> Chunk:
    """The request body as a chunk, with its declared size and checksum."""
    return Chunk(
        offset=offset,
        body=_body(request),
        size=protocol.parse_content_length(request.headers.get("Content-Length")),
        checksum=protocol.parse_checksum(request.headers.get("Upload-Checksum")),
    )


async def _body(request: AnyRequest) -> AsyncIterator[bytes]:
    """The request body as it arrives; a dropped connection becomes ``BodyInterrupted``."""
    try:
        async for piece in request.stream():
            yield piece
    except HTTPException as exc:
        # Litestar reports a client that went away mid-body as a 500 "disconnected".
        raise BodyInterrupted("the connection dropped") from exc


def _expiry(view: UploadView) -> dict[str, str]:
    return {} if view.completed else {"Upload-Expires": protocol.http_date(view.expires_at)}


def _refusal(exc: Exception) -> Response[Any] | None:
    """The answer for a refusal, or None for an unexpected error (left to the framework)."""
    if isinstance(exc, ProtocolError):
        extra = {"Tus-Version": protocol.TUS_VERSION} if exc.status == 412 else {}
        return _reply(exc.status, extra, text=exc.message)
    if isinstance(exc, LinkRefused):
        status, text = _LINK_REFUSALS[exc.problem]
        return _reply(status, text=text)
    if isinstance(exc, RateLimited):
        return _reply(429, {"Retry-After": str(exc.retry_after)}, text="Too many requests.")
    if isinstance(exc, OffsetConflict):
        return _reply(409, text=f"Upload-Offset does not match the upload's offset {exc.offset}.")
    for kind, (status, text) in _REFUSALS.items():
        if isinstance(exc, kind):
            if status == 503:
                log.warning("tus: storage unavailable: %s", exc)
            return _reply(status, {"Retry-After": "10"} if status == 503 else None, text=text)
    return None


def _reply(status: int, headers: dict[str, str] | None = None, text: str = "") -> Response[Any]:
    """A tus answer: every one carries ``Tus-Resumable`` and is never cached."""
    return Response(
        content=text.encode(),
        status_code=status,
        media_type=MediaType.TEXT,
        headers={
            "Tus-Resumable": protocol.TUS_VERSION,
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


_UPLOAD_ACTIONS: dict[str, _Action] = {"HEAD": _describe, "PATCH": _append, "DELETE": _terminate}
_ALLOWED = "OPTIONS, HEAD, PATCH, DELETE"
