"""What a provider's answer means for a message: retry later, or give up on it.

For notifier plugins whose provider speaks HTTP (directly, or through its official
client): turn the provider's status code, or its silence, into ``DeliveryFailed`` with the
right ``permanent`` flag, so that every plugin retries and gives up alike. Reasons are
recorded on the message and shown to officers: pass the provider's own words for the
error, never the recipient or the body.
"""

from exhibit.notifications.notifier import DeliveryFailed

RETRY_LATER = (408, 429)
"""4xx answers that mean "not now" (request timeout, too many requests), not "never"."""
REASON_LIMIT = 900
"""The longest reason kept on a message."""


def failure_for_status(status: int, reason: str) -> DeliveryFailed:
    """A failure for HTTP ``status``: 4xx is permanent, except 408 and 429; the rest retried."""
    permanent = 400 <= status < 500 and status not in RETRY_LATER
    reason = f"provider answered {status}: {reason}"
    return DeliveryFailed(reason[:REASON_LIMIT], permanent=permanent)


def no_answer(provider: str, error: BaseException) -> DeliveryFailed:
    """A failure to retry: ``provider`` did not answer (a timeout, a refused connection).

    Only the kind of error is kept: its text may quote the request.
    """
    return DeliveryFailed(f"{provider} did not answer: {type(error).__name__}", permanent=False)


def error_list_reason(errors: object) -> str:
    """A provider's list of errors (``[{"error": ..., "message": ...}, ...]``) as one line.

    GOV.UK Notify answers with such a list; anything else is given back as text.
    """
    if isinstance(errors, list):
        parts = (str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        return "; ".join(parts)
    return str(errors)
