"""The officer app's answers to errors: the sign-in page, or an error page.

A browser that is not signed in is sent to the sign-in page and comes back afterwards; a
refusal (wrong role, failed CSRF check), a missing record (another force's ids too), a
wrong method, a malformed address or form, or a failure of ours gets a plain page in the
officer layout with the error's status. ``exhibit.web.errors`` chooses the addresses that
get these pages (not the API's, the tus server's or the witness's).
"""

from http import HTTPStatus
from typing import Any

from litestar import Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from exhibit.web.officer.next_page import sign_in_url
from exhibit.web.officer.pages import AnyRequest, page, see_other

STALE_FORM = "The form had expired or did not come from Exhibit. Go back, reload and try again."
# status: (title, what to do); other statuses show the exception's own words.
_FIXED_TEXT = {
    # Litestar's validation errors name parameters by their Python names: not shown.
    HTTP_400_BAD_REQUEST: (
        "There is a problem with this address or form",
        "Check the address, or go back, reload the page and try again.",
    ),
    HTTP_404_NOT_FOUND: ("Page not found", "There is nothing at this address."),
    HTTP_405_METHOD_NOT_ALLOWED: (
        "You cannot do that at this address",
        "Use the links and buttons on Exhibit's pages rather than typing the address.",
    ),
    HTTP_500_INTERNAL_SERVER_ERROR: (
        "Sorry, there is a problem with Exhibit",
        "Try again later. If it keeps happening, tell your force's Exhibit administrator.",
    ),
}
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def officer_error_page(request: AnyRequest, exc: Exception) -> Response[Any]:
    """Sign in for ``NotAuthorizedException``; else a page saying what went wrong.

    Anything that is not an ``HTTPException`` is a failure of ours: 500, without details.
    """
    if isinstance(exc, NotAuthorizedException):
        return _to_sign_in(request)
    if not isinstance(exc, HTTPException):
        exc = HTTPException(status_code=HTTP_500_INTERNAL_SERVER_ERROR)
    title, detail = _explain(exc)
    response = page(request, "error.html", status_code=exc.status_code, title=title, detail=detail)
    for name, value in (exc.headers or {}).items():  # Allow, Retry-After, Content-Range
        response.set_header(name, value)
    return response


def _to_sign_in(request: AnyRequest) -> Response[Any]:
    back = request.url.path if request.method == "GET" else None
    if back and request.url.query:
        back += "?" + request.url.query
    return see_other(sign_in_url(back))


def _explain(exc: HTTPException) -> tuple[str, str]:
    status = exc.status_code
    if isinstance(exc, PermissionDeniedException):
        detail = str(exc.detail)
        return "You cannot do that", STALE_FORM if "CSRF" in detail else detail
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        return _FIXED_TEXT[HTTP_500_INTERNAL_SERVER_ERROR]
    if status in _FIXED_TEXT:
        return _FIXED_TEXT[status]
    detail = str(exc.detail)
    return _PHRASES.get(status, "There is a problem"), detail[:1].upper() + detail[1:]
