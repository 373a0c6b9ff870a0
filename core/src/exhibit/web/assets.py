"""The built front-end assets under ``/static/``, and their addresses.

``web-assets/`` builds them into ``static/dist/`` (``npm ci && npm run build``; ``./dev``
does it when they are missing or older than their sources). They are not committed.
"""

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

from litestar import Router
from litestar.static_files import create_static_files_router

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
DIST_DIR = STATIC_DIR / "dist"


def static_files_router() -> Router:
    """``/static/``: the built CSS and JS (and anything else put under ``static/``)."""
    return create_static_files_router(
        path="/static", directories=[STATIC_DIR], include_in_schema=False, name="static"
    )


def asset_url(name: str) -> str:
    """The address of a built asset, with a version from its content so caches never serve
    an old copy after an upgrade."""
    path = DIST_DIR / name
    try:
        stat = path.stat()
    except FileNotFoundError:
        _warn_unbuilt()
        return f"/static/dist/{name}"
    return f"/static/dist/{name}?v={_digest(path, stat.st_mtime_ns, stat.st_size)}"


@lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _warn_unbuilt() -> None:
    log.warning("front-end assets are not built: run ./dev, or npm ci and npm run build")
