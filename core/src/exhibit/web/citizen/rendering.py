"""Rendering citizen pages: the frame they share, and the answers for links that cannot be used.

The exception handlers here turn ``LinkUnavailable`` and ``TooManyRequests`` into kind pages
(or JSON for the page's script): what happened and whom to contact, never case data. Any
other error under ``/u/`` (an unknown address, a wrong method) gets the same kind of page.
"""

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_404_NOT_FOUND,
    HTTP_410_GONE,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from exhibit.i18n import ENGLISH, WELSH, Translator, choose_language
from exhibit.uploads.links import LinkProblem
from exhibit.web.assets import asset_url
from exhibit.web.citizen.access import (
    LANGUAGE_COOKIE,
    CitizenLink,
    ForcePage,
    LinkUnavailable,
    TooManyRequests,
)

NO_STORE = {"Cache-Control": "no-store"}
COOKIE_MAX_AGE = 365 * 24 * 3600

# problem: (title, what happened, what to do)
_PROBLEM_TEXT = {
    LinkProblem.UNKNOWN: ("unknown_title", "unknown_body", "unknown_next"),
    LinkProblem.EXPIRED: ("expired_title", "expired_body", "expired_next"),
    LinkProblem.REVOKED: ("revoked_title", "revoked_body", "revoked_next"),
}


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the English / Cymraeg switch."""

    code: str
    label: str
    href: str
    current: bool


def page(
    template: str,
    *,
    lang: str,
    force: ForcePage | None,
    here: str,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """A citizen page in ``lang`` for ``force``; ``here`` is its path, for the language switch."""
    frame = {
        "lang": lang,
        "t": Translator(lang),
        "force": force,
        "css_url": asset_url("citizen.css"),
        "js_url": asset_url("citizen.js"),
        "languages": _language_links(lang, force, here),
    }
    return Template(
        template,
        context={**frame, **context},
        status_code=status_code,
        cookies=cookies,
        headers=NO_STORE,
    )


def language_cookies(link: CitizenLink, request: Request[Any, Any, Any]) -> list[Cookie]:
    """The cookie that remembers a language chosen with ``?lang=``, if one was."""
    if not link.remember_language:
        return []
    return [
        Cookie(
            key=LANGUAGE_COOKIE,
            value=link.lang,
            path="/u",
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    ]


def link_unavailable_page(request: Request[Any, Any, Any], exc: LinkUnavailable) -> Response[Any]:
    """A link that cannot be used: 404 when unknown, 410 when expired or revoked; a link
    already used to send goes to its receipt."""
    if exc.problem == LinkProblem.SUBMITTED:
        return Redirect(f"/u/{exc.token}/receipt", status_code=HTTP_303_SEE_OTHER)
    title, body, next_step = _PROBLEM_TEXT[exc.problem]
    return page(
        "citizen/problem.html",
        lang=exc.lang,
        force=exc.force,
        here=request.url.path,
        status_code=HTTP_404_NOT_FOUND if exc.problem == LinkProblem.UNKNOWN else HTTP_410_GONE,
        title_key=title,
        body_key=body,
        next_key=next_step,
        show_receipt_note=exc.problem == LinkProblem.EXPIRED,
    )


def too_many_requests_page(request: Request[Any, Any, Any], exc: TooManyRequests) -> Response[Any]:
    """Too many attempts: a 429 page saying to wait."""
    response = page(
        "citizen/problem.html",
        lang=exc.lang,
        force=exc.force,
        here=request.url.path,
        status_code=HTTP_429_TOO_MANY_REQUESTS,
        title_key="too_many_title",
        body_key="too_many_body",
        next_key=None,
        show_receipt_note=False,
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def citizen_error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Any other error under ``/u/``: a page in the language asked for or remembered (no
    force is known), 404 like an unknown link, anything else a problem with the service."""
    if not isinstance(exc, HTTPException):
        exc = HTTPException(status_code=HTTP_500_INTERNAL_SERVER_ERROR)
    title, body, next_step = (
        _PROBLEM_TEXT[LinkProblem.UNKNOWN]
        if exc.status_code == HTTP_404_NOT_FOUND
        else ("service_problem_title", "service_problem_body", "unknown_next")
    )
    response = page(
        "citizen/problem.html",
        lang=choose_language(
            request.query_params.get("lang"),
            request.cookies.get(LANGUAGE_COOKIE),
            welsh_enabled=True,
        ),
        force=None,
        here=request.url.path,
        status_code=exc.status_code,
        title_key=title,
        body_key=body,
        next_key=next_step,
        show_receipt_note=False,
    )
    for name, value in (exc.headers or {}).items():  # Allow, Retry-After
        response.set_header(name, value)
    return response


def link_unavailable_json(
    request: Request[Any, Any, Any], exc: LinkUnavailable
) -> Response[dict[str, str]]:
    """The script's view of a link that cannot be used."""
    status = HTTP_404_NOT_FOUND if exc.problem == LinkProblem.UNKNOWN else HTTP_410_GONE
    return Response({"problem": exc.problem.value}, status_code=status, headers=NO_STORE)


def too_many_requests_json(
    request: Request[Any, Any, Any], exc: TooManyRequests
) -> Response[dict[str, str]]:
    """The script's view of a rate limit."""
    return Response(
        {"problem": "rate_limited"},
        status_code=HTTP_429_TOO_MANY_REQUESTS,
        headers={**NO_STORE, "Retry-After": str(exc.retry_after)},
    )


def _language_links(lang: str, force: ForcePage | None, here: str) -> list[LanguageLink]:
    # With no force (a link that matched nothing) no force has ruled Welsh out.
    if force is not None and not force.welsh_enabled:
        return []
    return [
        LanguageLink(code, label, f"{here}?lang={code}", current=code == lang)
        for code, label in ((ENGLISH, "English"), (WELSH, "Cymraeg"))
    ]
