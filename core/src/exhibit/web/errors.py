"""Which answer an error gets: Litestar's JSON for programs, a page for people.

The API, the tus server and the schema keep Litestar's JSON answers; the witness's pages
(``/u/...``) get the citizen problem page in the witness's language; every other address
is the officer app's (or a plugin's page), and gets its error page or the sign-in page.

One handler for every exception at the app level, so that errors raised before any route
is chosen (an unknown address, a wrong method, a path parameter of the wrong type) are
answered the same way as those raised inside a route. Routes that declare their own
handlers (the citizen link problems, providers' delivery receipts) keep them.
"""

from typing import Any

from litestar import Request, Response
from litestar.exceptions.responses import create_exception_response
from litestar.types import ExceptionHandlersMap

from exhibit.web.citizen.rendering import citizen_error_page
from exhibit.web.officer.errors import officer_error_page

MACHINE_PATHS = ("/api", "/uploads", "/schema")
CITIZEN_PATHS = ("/u",)


def answer_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The answer to ``exc`` for whoever reads this address."""
    path = request.url.path
    if _under(path, MACHINE_PATHS):
        return create_exception_response(request, exc)
    if _under(path, CITIZEN_PATHS):
        return citizen_error_page(request, exc)
    return officer_error_page(request, exc)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {Exception: answer_error}
