"""The shared rate limiter counts every hit once, across concurrent callers."""

import asyncio
from datetime import timedelta

import pytest

from exhibit.platform import Platform
from exhibit.ratelimit.limiter import RateLimited, hit


async def test_hits_past_the_limit_are_refused_with_a_retry_time(platform: Platform) -> None:
    for _ in range(5):
        await hit(platform.sessions, "client:203.0.113.9", limit=5, window=timedelta(minutes=10))
    with pytest.raises(RateLimited) as limited:
        await hit(platform.sessions, "client:203.0.113.9", limit=5, window=timedelta(minutes=10))
    assert 1 <= limited.value.retry_after <= 600
    # Another key has its own count.
    await hit(platform.sessions, "client:203.0.113.10", limit=5, window=timedelta(minutes=10))


async def test_concurrent_hits_are_all_counted(platform: Platform) -> None:
    results = await asyncio.gather(
        *(
            hit(platform.sessions, "link:abc", limit=20, window=timedelta(hours=1))
            for _ in range(30)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert len(refused) == 10
    assert all(r is None or isinstance(r, RateLimited) for r in results)
