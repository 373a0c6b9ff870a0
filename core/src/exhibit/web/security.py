"""Response headers that every page and API answer carries."""

from litestar.datastructures import ResponseHeader

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
