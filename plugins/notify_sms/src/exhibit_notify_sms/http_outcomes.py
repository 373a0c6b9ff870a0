"""What an HTTP provider's status code means for a message: retry, or give up."""

from exhibit.plugins import DeliveryFailed

PERMANENT = range(400, 500)


def failure_for(status: int, reason: str) -> DeliveryFailed:
    """A failure for ``status``: 4xx is permanent, except 408 and 429 (retry later)."""
    permanent = status in PERMANENT and status not in (408, 429)
    return DeliveryFailed(f"provider answered {status}: {reason}"[:900], permanent=permanent)
