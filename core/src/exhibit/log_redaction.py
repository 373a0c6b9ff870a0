"""Keeping one-time links, and what officers type into addresses, out of logs and records.

A witness's link is ``/u/<token>``, a new user's ``/set-password/<token>`` and a prosecutor's
invitation ``.../partner/invite/<token>``: the token is the whole capability, so uvicorn's
access log must never print it, nor may any other log line. An officer's reason for a
download travels in its address (``?reason=...``) and may name people. ``RedactUploadLinks``
rewrites such tokens to ``[link]`` (``/u/[link]``) and such reasons to ``reason=[reason]`` in
every record it sees; every ``exhibit`` command puts it on the root logger's handlers, and
``exhibit serve`` on uvicorn's too (``exhibit.web.log_redaction``). ``redact`` also cleans
what a provider or a failing job reports before it is stored.
"""

import logging
import re

_LINK = re.compile(r"(/u/|/set-password/|/partner/invite/)[^/?#\s\"']+")
_REASON = re.compile(r"([?&]reason=)[^&#\s\"']*")
# The same address percent-encoded in another one's query: the sign-in page's ``next=``.
_ENCODED_REASON = re.compile(r"((?:%3[Ff]|%26)reason%3[Dd])(?:(?!%26)[^&#\s\"'])*")


def redact(text: str) -> str:
    """``text`` with every one-time link's token as ``[link]`` and every ``reason=`` hidden,
    also where the address is itself the encoded value of another's query (``next=``)."""
    text = _REASON.sub(r"\1[reason]", _LINK.sub(r"\1[link]", text))
    return _ENCODED_REASON.sub(r"\1[reason]", text)


class RedactUploadLinks(logging.Filter):
    """A logging filter that redacts one-time links and reasons in a record's message and
    arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def redact_root_handlers() -> None:
    """Put ``RedactUploadLinks`` on every handler of the root logger (once each)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactUploadLinks) for f in handler.filters):
            handler.addFilter(RedactUploadLinks())
