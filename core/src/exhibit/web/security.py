"""Response headers that every page and API answer carries."""

from litestar.datastructures import MutableScopeHeaders, ResponseHeader
from litestar.types import Message, Scope

# Nothing loads from another origin; no page may be framed; no URL (which may hold an
# upload link) leaks through the Referer header.
SECURITY_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Cross-Origin-Opener-Policy", value="same-origin"),
]


# Pages and API answers hold personal data (witnesses, statements, upload links, a new API
# token): no browser or proxy may keep a copy, to show after sign-out or to the next user of a
# shared computer. Only the built assets (versioned addresses, nothing personal) may be cached.
NO_STORE = "no-store"
CACHEABLE_PREFIX = "/static/"
# Once a browser has reached Exhibit over HTTPS, it never tries plain HTTP again for a year
# (an upload link typed or pasted without https:// cannot be read on the way). Sent only on
# HTTPS answers (behind a proxy: one listed in EXHIBIT_TRUSTED_PROXIES that says so).
STRICT_TRANSPORT = "max-age=31536000"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Add each of ``SECURITY_HEADERS`` that a response does not set itself,
    ``Cache-Control: no-store`` to every answer but a static file's, and
    ``Strict-Transport-Security`` to every answer over HTTPS.

    A ``before_send`` hook of the app, so it reaches every answer: pages, errors made by
    exception handlers, routing's own 404 and 405, static files and streams. A header the
    response already has wins (a download's ``Content-Security-Policy: sandbox``).
    """
    if message["type"] != "http.response.start":
        return
    message.setdefault("headers", [])
    headers = MutableScopeHeaders.from_message(message)
    for header in SECURITY_HEADERS:
        if header.name not in headers and header.value is not None:
            headers.add(header.name, header.value)
    if "Cache-Control" not in headers and not scope["path"].startswith(CACHEABLE_PREFIX):
        headers.add("Cache-Control", NO_STORE)
    if scope.get("scheme") == "https" and "Strict-Transport-Security" not in headers:
        headers.add("Strict-Transport-Security", STRICT_TRANSPORT)
