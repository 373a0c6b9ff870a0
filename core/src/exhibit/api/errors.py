"""Turning a refusal by a domain rule into an HTTP answer that says why."""

from collections.abc import Iterator
from contextlib import contextmanager

from litestar import Router
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.routes import HTTPRoute

from exhibit.evidence.disposal import SharesNotAcknowledged


@contextmanager
def domain_rules_as_400() -> Iterator[None]:
    """A ``ValueError`` raised by a service (bad phone number, closed request) becomes a 400.

    Litestar's own HTTP errors are ValueErrors too, so they pass through unchanged.
    """
    try:
        yield
    except HTTPException:
        raise
    except ValueError as exc:
        raise ValidationException(str(exc)) from None


@contextmanager
def shares_acknowledged_in_body() -> Iterator[None]:
    """A disposal refused for unacknowledged shares says which field of the body confirms
    them (the web app asks with a tick instead)."""
    try:
        yield
    except SharesNotAcknowledged as exc:
        raise SharesNotAcknowledged(f'{exc}; send "shared_acknowledged": true to confirm') from None


def document_common_errors(router: Router) -> Router:
    """Name in the OpenAPI document the errors every route of ``router`` may answer.

    Every API route needs a valid token (401) and a role that grants its permission (403);
    a route with an id in its path answers 404 for a row that does not exist or belongs to
    another force. Litestar documents only the 400 by itself, so a generated client would
    otherwise treat these answers as undocumented. Errors only some routes give (a 409, a
    410) are declared on those routes with ``raises``.
    """
    for route in router.routes:
        if not isinstance(route, HTTPRoute):
            continue
        common: list[type[HTTPException]] = [NotAuthorizedException, PermissionDeniedException]
        if "{" in route.path:
            common.append(NotFoundException)
        for handler in route.route_handlers:
            handler.raises = [*common, *(handler.raises or ())]
    return router
