"""What every officer page shares: the template response, flash messages, display formats."""

from datetime import datetime
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from exhibit.accounts.permissions import Permission, may
from exhibit.uk_time import uk_time
from exhibit.web.assets import asset_url

AnyRequest = Request[Any, Any, Any]
FLASH = "flash"
FORCE_NAME = "force_name"
DISPOSALS_WAITING = "disposals_waiting"
"""The request state's count of disposals awaiting a decision, for the menu (see ``menu``)."""
# GOV.UK Frontend's components for the officer app, built by web-assets/ (officer.scss).
STYLESHEET = "officer.css"
SCRIPT = "officer.js"


def when(moment: datetime | None) -> str:
    """A time as officers read it: UK local time, to the minute."""
    if moment is None:
        return ""
    return uk_time(moment).strftime("%d %b %Y %H:%M")


MB = 1000**2
"""A megabyte as officers type and read it: decimal, like phones and the witness's page."""


def file_size(size: int) -> str:
    """A byte count in the largest unit that keeps it readable (1,000-based, like phones)."""
    value, unit = float(size), "bytes"
    for bigger in ("kB", "MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


def flash(request: AnyRequest, message: str, *, error: bool = False) -> None:
    """Show ``message`` on the next page this officer sees."""
    request.session[FLASH] = {"message": message, "error": error}


def page(request: AnyRequest, name: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render ``officer/<name>`` with the helpers and any pending flash message."""
    signed_in = _has_session(request)
    shared = {
        "flash": request.session.pop(FLASH, None) if signed_in else None,
        "force_name": request.session.get(FORCE_NAME, "") if signed_in else "",
        "current_path": request.url.path,
        "disposals_waiting": request.state.get(DISPOSALS_WAITING),
        "may": may,
        "Permission": Permission,
        "when": when,
        "file_size": file_size,
        "stylesheet": asset_url(STYLESHEET),
        "script": asset_url(SCRIPT),
    }
    return Template(f"officer/{name}", context=shared | context, status_code=status_code)


def see_other(path: str) -> Redirect:
    """Send the browser on to ``path`` with a GET (after a form was handled)."""
    return Redirect(path, status_code=303)


def _has_session(request: AnyRequest) -> bool:
    return "session" in request.scope
