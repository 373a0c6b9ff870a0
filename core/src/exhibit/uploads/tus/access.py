"""What a witness's link token opens for the tus server, and how often it may be used.

Every tus request carries the token in the ``Exhibit-Upload-Token`` header. The token is
looked up by its hash (the force is not known until then), and each use is counted against
the link in the shared database. Tokens that match nothing are counted against the client's
address, so a client guessing tokens is slowed down; with 192 random bits a guess never
succeeds, so counting after the look-up gives nothing away.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from exhibit.platform import Platform
from exhibit.ratelimit.limiter import hit
from exhibit.uploads.links import (
    LinkProblem,
    LinkRefused,
    count_unknown_link,
    hash_token,
    request_for_token,
)

LINK_LIMIT = 1200
"""Requests one link may make per ``LINK_WINDOW`` (a 10 GB file in 5 MB chunks fits twice)."""
LINK_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Link:
    """A live evidence request, as far as uploading through it is concerned."""

    request_id: int
    force_id: int
    max_files: int
    max_file_bytes: int
    expires_at: datetime


async def open_link(platform: Platform, token: str, client: str) -> Link:
    """The link ``token`` opens, counted against its rate limit.

    Raises ``LinkRefused`` for an unknown, expired, revoked or submitted link, and
    ``RateLimited`` when the link (or, for unknown tokens, the client address ``client``)
    has made too many requests.
    """
    refused: LinkRefused | None = None
    async with platform.system_session() as session:
        try:
            request = await request_for_token(session, token)
        except LinkRefused as exc:
            refused = exc
        else:
            link = Link(
                request_id=request.id,
                force_id=request.force_id,
                max_files=request.max_files,
                max_file_bytes=request.max_file_bytes,
                expires_at=request.expires_at,
            )
    # Counting happens after the session closed: on SQLite a second session inside an open
    # transaction of the same task would wait on itself.
    if refused is not None:
        if refused.problem == LinkProblem.UNKNOWN:
            await count_unknown_link(platform.sessions, client)
        raise refused
    await count_link_use(platform, token)
    return link


async def count_link_use(platform: Platform, token: str) -> None:
    """Count one request against the link's limit; ``RateLimited`` past it."""
    await hit(platform.sessions, link_key(token), limit=LINK_LIMIT, window=LINK_WINDOW)


def link_key(token: str) -> str:
    """The rate-limit key of a link: never the token itself."""
    return f"link:{hash_token(token)[:16]}"
