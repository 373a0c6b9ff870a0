"""CSRF protection for every officer form (Litestar's double-submit cookie, HMAC-signed).

The signing secret is derived from the deployment's secret key, so every app process
accepts the tokens every other one issued, and nothing secret sits in the code. A browser
still holding a cookie signed under an earlier key (the operator changed it) gets a fresh
one with its next page (``ForgetStaleCsrfCookie``): Litestar keeps any cookie it finds, and
every form of that browser would be refused until it was closed.
"""

import hashlib
import hmac

from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.types import ASGIApp, Receive, Scope, Send

from exhibit.secrets import KEY_FILE_NAME
from exhibit.settings import Settings

CSRF_COOKIE = "exhibit_csrf"
# These carry their own proof of intent: an API token in a header, or the upload link's
# token in the path, which a forged cross-site request cannot know.
# A plugin's routes under ``callbacks/`` are posted by outside services (delivery receipts
# from SMS and email providers), each authenticated by the plugin with the service's own
# signature or token: docs/plugins.md says so to plugin authors.
# Static files, the health and readiness checks, the metrics and the forces' logos take no
# forms: exempt, they set no cookie either (on a witness's phone, on every probe of a load
# balancer or scrape, on a logo a browser or proxy keeps).
CSRF_EXEMPT_PATHS = [
    "^/api/",
    "^/uploads(/|$)",
    "^/u/",
    "^/plugins/[^/]+/callbacks/",
    "^/static/",
    "^/healthz$",
    "^/readyz$",
    "^/metrics$",
    "^/forces/[^/]+/logo/",
]


def csrf_secret(settings: Settings) -> str:
    """A secret for signing CSRF tokens, derived from (never equal to) the secret key.

    Call after the platform is built: for a trial without ``EXHIBIT_SECRET_KEY`` the key
    is the one the platform keeps in the data folder.
    """
    key = settings.secret_key or (settings.data_dir / KEY_FILE_NAME).read_text().strip()
    return hmac.new(key.encode(), b"exhibit web csrf v1", hashlib.sha256).hexdigest()


def csrf_config(settings: Settings) -> CSRFConfig:
    """CSRF checks on every unsafe request except the paths in ``CSRF_EXEMPT_PATHS``."""
    return CSRFConfig(
        secret=csrf_secret(settings),
        cookie_name=CSRF_COOKIE,
        cookie_httponly=True,
        cookie_secure=settings.public_url.startswith("https://"),
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT_PATHS,
    )


class ForgetStaleCsrfCookie(ASGIMiddleware):
    """On a page request, drop a CSRF cookie that ``secret`` did not sign, so that Litestar's
    CSRF middleware issues a fresh cookie with the page (and its forms a matching token).

    Only GET and HEAD: an unsafe request with such a cookie is refused as before, and the
    refusal tells the officer to reload the page, which now mends it.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, secret: str) -> None:
        self._secret = secret

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Pass the request on, without a stale CSRF cookie if it is a page request."""
        if scope.get("method") in ("GET", "HEAD"):
            scope["headers"] = [
                (name, self._without_stale_cookie(value) if name == b"cookie" else value)
                for name, value in scope["headers"]
            ]
        await next_app(scope, receive, send)

    def _without_stale_cookie(self, header: bytes) -> bytes:
        kept = []
        for pair in header.decode("latin-1").split(";"):
            name, _, value = pair.strip().partition("=")
            if name == CSRF_COOKIE and not self._signed(value):
                continue
            kept.append(pair.strip())
        return "; ".join(kept).encode("latin-1")

    def _signed(self, value: str) -> bool:
        token, signature = value[:CSRF_SECRET_LENGTH], value[CSRF_SECRET_LENGTH:]
        expected = generate_csrf_hash(token=token, secret=self._secret)
        return len(token) == CSRF_SECRET_LENGTH and hmac.compare_digest(signature, expected)
