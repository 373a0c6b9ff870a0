"""Upload links: the token a witness holds is the whole capability, so it is handled with care.

A token carries 192 random bits and is stored only as its SHA-256. Looking one up checks
that it exists, has not expired, has not been revoked and has not already been used to
submit. A refusal says which, so the witness can be told what to do, but it never carries
case data.
"""

import enum
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exhibit.db.base import utcnow
from exhibit.ratelimit.limiter import hit
from exhibit.uploads.models import EvidenceRequest, RequestState

TOKEN_BYTES = 24
MAX_TOKEN_LENGTH = 100
"""Longer strings are refused before hashing (a token is 32 characters)."""
# Guessing a token is hopeless (192 bits), but a client that keeps trying is stopped early.
UNKNOWN_LINK_LIMIT = 20
UNKNOWN_LINK_WINDOW = timedelta(minutes=10)


class LinkProblem(enum.StrEnum):
    """Why a link cannot be used."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUBMITTED = "submitted"


class LinkRefused(Exception):
    """A link cannot be used; ``force_id`` is known unless the token matched nothing."""

    def __init__(self, problem: LinkProblem, force_id: int | None = None) -> None:
        super().__init__(f"upload link {problem.value}")
        self.problem = problem
        self.force_id = force_id


def new_link_token() -> tuple[str, str]:
    """A fresh token and its hash: give the token to the witness, keep only the hash."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(public_url: str, token: str) -> str:
    """The address a witness opens."""
    return f"{public_url}/u/{token}"


async def request_for_token(
    session: AsyncSession, token: str, *, allow_submitted: bool = False
) -> EvidenceRequest:
    """The live request a token opens, or ``LinkRefused`` saying why not.

    ``allow_submitted`` lets the witness see their receipt after submitting; uploading
    through a submitted request is refused.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkRefused(LinkProblem.UNKNOWN)
    request = await session.scalar(
        select(EvidenceRequest).where(EvidenceRequest.token_hash == hash_token(token))
    )
    if request is None:
        raise LinkRefused(LinkProblem.UNKNOWN)
    if request.state == RequestState.REVOKED:
        raise LinkRefused(LinkProblem.REVOKED, request.force_id)
    if request.state == RequestState.SUBMITTED and not allow_submitted:
        raise LinkRefused(LinkProblem.SUBMITTED, request.force_id)
    if request.state == RequestState.EXPIRED or request.expires_at <= utcnow():
        raise LinkRefused(LinkProblem.EXPIRED, request.force_id)
    return request


async def count_unknown_link(sessions: async_sessionmaker[AsyncSession], client: str) -> None:
    """Count a token that matched nothing against the client's address.

    One counter for every route that takes a token (pages and uploads), so trying both
    does not double a guesser's allowance. Raises ``RateLimited`` past the limit.
    """
    await hit(
        sessions, f"unknown-link:{client}", limit=UNKNOWN_LINK_LIMIT, window=UNKNOWN_LINK_WINDOW
    )
