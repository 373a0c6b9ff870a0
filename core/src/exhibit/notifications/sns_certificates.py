"""Fetching the certificates SNS signs its messages with, for ``sns_signature``.

``verify_sns_message`` checks a certificate URL's host before it calls the fetcher, so
``fetch_certificate`` only ever reaches a host the force trusts.
"""

from exhibit.notifications.sns_signature import BadSnsSignature

TIMEOUT_SECONDS = 10.0

_cache: dict[str, bytes] = {}


async def fetch_certificate(url: str) -> bytes:
    """The PEM certificate at ``url``, fetched once per process (a ``CertificateFetcher``).

    A certificate that cannot be fetched cannot vouch for the message: ``BadSnsSignature``.
    """
    if url not in _cache:
        import httpx  # loaded on first use: most processes never need it

        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.get(url)
                response.raise_for_status()
        except httpx.HTTPError as exc:
            reason = f"the signing certificate cannot be fetched ({type(exc).__name__})"
            raise BadSnsSignature(reason) from None
        _cache[url] = response.content
    return _cache[url]
