"""CSRF protection for every officer form (Litestar's double-submit cookie, HMAC-signed).

The signing secret is derived from the deployment's secret key, so every app process
accepts the tokens every other one issued, and nothing secret sits in the code.
"""

import hashlib
import hmac

from litestar.config.csrf import CSRFConfig

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
