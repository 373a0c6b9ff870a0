"""Turning a refusal by a domain rule into an HTTP answer that says why."""

from collections.abc import Iterator
from contextlib import contextmanager

from litestar.exceptions import HTTPException, ValidationException

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
