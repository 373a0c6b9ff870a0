"""How often one client address may try to sign in, across every email it tries.

The lock-out (``exhibit.accounts.lockout``) stops guessing at one account; this stops one
address spraying guesses across many. Both steps (password and code) count, right or wrong.
"""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exhibit.ratelimit.limiter import hit

# Generous: a force's officers often share one public address (the force's network), and a
# shift change signs many in at once; one address spraying guesses is still held to a crawl.
ATTEMPT_LIMIT = 300
ATTEMPT_WINDOW = timedelta(minutes=10)


async def count_attempt(sessions: async_sessionmaker[AsyncSession], client: str) -> None:
    """Count one sign-in attempt from ``client``; ``RateLimited`` past the limit."""
    await hit(sessions, f"sign-in:{client}", limit=ATTEMPT_LIMIT, window=ATTEMPT_WINDOW)
