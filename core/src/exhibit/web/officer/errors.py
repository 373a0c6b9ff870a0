"""Errors as pages for people, and as Litestar's JSON for programs.

A browser that is not signed in is sent to the sign-in page and comes back afterwards; a
refusal (wrong role, failed CSRF check) or a missing record gets a plain page. The API, the
tus endpoint and the schema keep Litestar's JSON answers (401, 403, 404).
"""

from typing import Any

from litestar import Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.exceptions.responses import create_exception_response

from exhibit.web.officer.next_page import sign_in_url
from exhibit.web.officer.pages import AnyRequest, page, see_other
from exhibit.web.security import SECURITY_HEADERS

MACHINE_PATHS = ("/api/", "/uploads/", "/schema")


def _for_machines(request: AnyRequest) -> bool:
    return request.url.path.startswith(MACHINE_PATHS)


def not_signed_in(request: AnyRequest, exc: NotAuthorizedException) -> Response[Any]:
    """Send a browser to sign in (then back here); the API answers 401 as before."""
    if _for_machines(request):
        return create_exception_response(request, exc)
    back = request.url.path if request.method == "GET" else None
    if back and request.url.query:
        back += "?" + request.url.query
    return _secured(see_other(sign_in_url(back)))


def forbidden(request: AnyRequest, exc: PermissionDeniedException) -> Response[Any]:
    """A page saying the officer may not do this (or the form was stale), status 403."""
    if _for_machines(request):
        return create_exception_response(request, exc)
    return _error_page(request, exc, "You cannot do that", str(exc.detail))


def not_found(request: AnyRequest, exc: NotFoundException) -> Response[Any]:
    """A page saying there is nothing here, status 404 (another force's ids land here too)."""
    return _error_page(request, exc, "Page not found", "There is nothing at this address.")


def _error_page(request: AnyRequest, exc: HTTPException, title: str, detail: str) -> Response[Any]:
    if "CSRF" in detail:
        detail = "The form had expired or did not come from Exhibit. Go back, reload and try again."
    return _secured(
        page(request, "error.html", status_code=exc.status_code, title=title, detail=detail)
    )


def _secured(response: Response[Any]) -> Response[Any]:
    # Litestar does not add the app's response headers to answers made by exception handlers.
    for header in SECURITY_HEADERS:
        response.set_header(header.name, header.value)
    return response


HTML_EXCEPTION_HANDLERS = {
    NotAuthorizedException: not_signed_in,
    PermissionDeniedException: forbidden,
}
