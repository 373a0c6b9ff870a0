"""Fetching SNS signing certificates (the URL's host is checked before this is called)."""

import httpx

_cache: dict[str, bytes] = {}


async def fetch_certificate(url: str) -> bytes:
    """The PEM certificate at ``url``, fetched once per process."""
    if url not in _cache:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.get(url)
            response.raise_for_status()
        _cache[url] = response.content
    return _cache[url]
