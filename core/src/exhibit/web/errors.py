"""Which answer an error gets: Litestar's JSON for programs, a page for people.

The API, the tus server, the schema, the forces' logos and the metrics keep Litestar's JSON
answers; the witness's pages (``/u/...``) get the citizen problem page in the witness's
language; every other address is the officer app's (or a plugin's page), and gets its error
page or the sign-in page.

One handler for every exception at the app level, so that errors raised before any route
is chosen (an unknown address, a wrong method, a path parameter of the wrong type) are
answered the same way as those raised inside a route. Routes that declare their own
handlers (the citizen link problems, providers' delivery receipts) keep them.

A failure of ours (any exception that is not an HTTP error, or a 5xx) is logged with its
traceback: Litestar logs none outside debug mode, and the answer carries no details.
"""

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import create_exception_response
from litestar.types import ExceptionHandlersMap

from exhibit.web.citizen.rendering import citizen_error_page
from exhibit.web.officer.errors import officer_error_page

log = logging.getLogger(__name__)

MACHINE_PATHS = ("/api", "/uploads", "/schema", "/forces", "/metrics")
CITIZEN_PATHS = ("/u",)


def answer_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The answer to ``exc`` for whoever reads this address."""
    path = request.url.path
    if not isinstance(exc, HTTPException) or exc.status_code >= 500:
        log.error("%s %s failed", request.method, path, exc_info=exc)
    if _under(path, MACHINE_PATHS):
        return create_exception_response(request, exc)
    if _under(path, CITIZEN_PATHS):
        return citizen_error_page(request, exc)
    return officer_error_page(request, exc)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {Exception: answer_error}
