"""How the partner area answers: its pages, its refusals and the headers they carry.

Every page is sent with ``Cache-Control: no-store`` (they show case references, hashes and,
during enrolment, the two-factor secret), and a refusal is a page in the partner layout
that says what a prosecutor can do next, not the officer app's error page.
"""

from datetime import datetime
from typing import Any

from litestar.response import Redirect, Template

from exhibit.forces.models import Force
from exhibit.uk_time import uk_time
from exhibit.web.assets import asset_url

STYLESHEET = "citizen.css"
NO_STORE = {"Cache-Control": "no-store"}
DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}
"""Headers of a file sent to a partner: never run as a page of the app, never cached."""

UNAVAILABLE = (
    "This share is not available",
    "The police force may have withdrawn it, or the date it was available until has passed. "
    "If you still need this evidence, contact the officer in charge of the case.",
)
NO_DOWNLOAD = (
    "This share cannot be downloaded",
    "The police force shared this evidence for viewing only. If you need a copy, contact "
    "the officer in charge of the case.",
)
INTEGRITY = (
    "The bundle cannot be made",
    "A stored file no longer matches the hash recorded when it was received, so no bundle "
    "was made. Contact the officer in charge of the case.",
)


def uk_moment(moment: datetime, *, seconds: bool = False) -> str:
    """A time as a prosecutor reads it: UK time with its zone, ``07 December 2026 14:30 GMT``."""
    return uk_time(moment).strftime(f"%d %B %Y %H:%M{':%S' if seconds else ''} %Z")


def page(name: str, *, status_code: int = 200, **context: Any) -> Template:
    """The partner template ``name`` (under ``share_cps/``), never cached."""
    return Template(
        f"share_cps/{name}",
        context={"stylesheet": asset_url(STYLESHEET), "when": uk_moment} | context,
        status_code=status_code,
        headers=NO_STORE,
    )


def link_refused(message: str, *, force: Force) -> Template:
    """An invitation link that cannot be used (``message`` says why), with the way to sign in."""
    return page(
        "message.html",
        status_code=404,
        message=message,
        back=f"/plugins/share_cps/{force.slug}/partner/sign-in",
        back_text="Sign in, if you have already set up your sign-in",
    )


def see_other(path: str) -> Redirect:
    """A 303 to ``path`` (after a form, or to the sign-in page)."""
    return Redirect(path, status_code=303)


def refusal(text: tuple[str, str], *, status_code: int, force: Force, **context: Any) -> Template:
    """A refusal page: ``text`` is its heading and what to do, with a way back to the list."""
    heading, message = text
    return page(
        "message.html",
        status_code=status_code,
        heading=heading,
        message=message,
        force=force,
        back=f"/plugins/share_cps/{force.slug}/partner/",
        **context,
    )
