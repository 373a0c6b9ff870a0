"""The ``Idempotency-Key`` header on a POST route: performed once, answered the same after.

``idempotent`` marks a route handler: a request carrying the header is performed once for
the caller's user in their force, and a retry with the same key and the same request gets
the first answer back (``Idempotent-Replayed: true``) without it being performed again.
It follows the IETF httpapi draft "The Idempotency-Key HTTP Header Field": 422 for the key
sent with a different request, 409 while the first is still being handled. A request
without the header, or one refused for its token or role, is handled as without it.
"""

import hashlib
import inspect
from datetime import timedelta
from typing import Annotated, Any

import anyio
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.params import HeaderParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from exhibit.accounts.permissions import require_declared
from exhibit.api.idempotency.claims import (
    ABANDONED_AFTER,
    KEPT_FOR,
    KeptAnswer,
    KeyInUse,
    KeyOwner,
    KeyReused,
    claim_key,
    keep_answer,
    release_key,
)
from exhibit.platform import Platform
from exhibit.web.auth import user_from_headers

HEADER = "Idempotency-Key"
MAX_KEY = 255
REPLAYED = "Idempotent-Replayed"
KEY_HELP = (
    f"Safe to retry: send an {HEADER} header (a unique value of your choosing, up to "
    f"{MAX_KEY} characters, e.g. a UUID) and a retry with the same key and the same request "
    "gets the first answer back, status and body, without the action being performed again "
    f"(the answer then carries {REPLAYED}: true). Keys are your own (per user and force) and "
    f"kept for {KEPT_FOR // timedelta(hours=1)} hours. The same key with a different request "
    "(method, path or body) is refused with 422; a retry while the first request is still "
    "being handled gets 409, and so does one whose first request stopped part way (no "
    f"answer after {ABANDONED_AFTER // timedelta(minutes=1)} minutes: look whether it took "
    "effect before sending it under a new key). An answer that was a server error (5xx) is "
    "not kept: retry with the same key."
)
IdempotencyKeyHeader = Annotated[
    str | None,
    # Two more for the draft's quotes; the middleware reads and checks the key itself.
    HeaderParameter(
        name=HEADER,
        min_length=1,
        max_length=MAX_KEY + 2,
        description=f"A unique value of your choosing (up to {MAX_KEY} characters, e.g. a "
        "UUID) that makes the request safe to retry: see the operation's description.",
    ),
]
"""The header in an idempotent handler's signature, so that the schema lists it."""


def idempotent(handler: HTTPRouteHandler) -> HTTPRouteHandler:
    """Let ``handler`` (a POST that creates or sends something) take an ``Idempotency-Key``.

    Adds the middleware that keeps and replays answers, and documents its 409 and 422 answers
    and the rule in the route's OpenAPI description. The handler declares the header as
    ``idempotency_key: IdempotencyKeyHeader = None`` (unused: the middleware reads it), so
    that the schema lists it among the route's parameters.
    """
    if "idempotency_key" not in inspect.signature(handler.fn).parameters:
        raise TypeError(f"{handler.fn.__qualname__} must declare idempotency_key")
    handler.middleware = [*(handler.middleware or ()), IdempotentRequests()]
    handler.raises = [*(handler.raises or ()), KeyInUse, KeyReused]
    told = handler.description or inspect.cleandoc(handler.fn.__doc__ or "")
    handler.description = f"{told}\n\n{KEY_HELP}"
    return handler


def key_from_header(value: str) -> str:
    """The key a header value holds: the draft's quoted string, or Stripe's bare token.

    400 for an empty or overlong key, or one with characters other than printable ASCII.
    """
    key = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if not 1 <= len(key) <= MAX_KEY or not all(" " <= c <= "~" for c in key):
        raise ValidationException(
            f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters (a UUID, say)"
        )
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests the same one: method, path, query and body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


class IdempotentRequests(ASGIMiddleware):
    """Performs a request with an ``Idempotency-Key`` once, and replays its answer after."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Claim the key, then handle the request and keep its answer, or replay the kept one."""
        request: Request[Any, Any, Any] = Request(scope, receive)
        header = request.headers.get(HEADER)
        if header is None:
            await next_app(scope, receive, send)
            return
        key = key_from_header(header)
        platform: Platform = request.app.state.platform
        try:
            user = await user_from_headers(request, platform)
            require_declared(user, request.route_handler)
        except HTTPException:
            await next_app(scope, receive, send)  # refused there, as without the header
            return
        owner = KeyOwner(user.force_id, user.id, key)
        # Read (and cached in the scope for the handler) before the key is claimed: a body
        # too large is refused without claiming it.
        body = await request.body()
        kept = await claim_key(
            platform, owner, fingerprint(request.method, request.url.path, request.url.query, body)
        )
        if kept is not None:
            await _replay(kept, send)
            return
        await _perform(platform, owner, scope, receive, send, next_app)


async def _perform(
    platform: Platform,
    owner: KeyOwner,
    scope: Scope,
    receive: Receive,
    send: Send,
    next_app: ASGIApp,
) -> None:
    status = 0
    chunks: list[bytes] = []
    finished = False

    async def keeping(message: Message) -> None:
        nonlocal status, finished
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            finished = not message.get("more_body", False)
        await send(message)

    try:
        await next_app(scope, receive, keeping)
    finally:
        # Shielded: a request cancelled after it was answered still keeps its answer.
        with anyio.CancelScope(shield=True):
            if finished and status < 500:
                await keep_answer(platform, owner, KeptAnswer(status, b"".join(chunks)))
            else:
                await release_key(platform, owner)


async def _replay(kept: KeptAnswer, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": kept.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(kept.body)).encode()),
                (REPLAYED.lower().encode(), b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": kept.body, "more_body": False})
