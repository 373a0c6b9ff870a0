"""The hash chain: how an audit event's hash is computed, and how a chain is checked.

This module has no database code so that anyone holding an exported chain segment can
verify it offline with the same rules.

An event's hash is SHA-256 over the canonical JSON (UTF-8, sorted keys, no whitespace;
``occurred_at`` in UTC as ISO 8601 ending in ``Z``, with microseconds unless they are
zero) of its fields and the previous event's hash. The first event of a force commits to
``GENESIS_HASH``. A time without a zone names no instant, so it is refused, never guessed
from the checking machine's own zone.
"""

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

GENESIS_HASH = "0" * 64
_encoder = msgspec.json.Encoder(order="sorted")
ZonedDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
"""A timestamp that must carry its zone (read from JSON: refused without one)."""


class ChainedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """The hashed content of one audit event, exactly as it is committed to."""

    force_id: int
    seq: int
    occurred_at: ZonedDatetime
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str
    details: dict[str, Any]
    prev_hash: str


class ChainBreak(msgspec.Struct, frozen=True):
    """The first event at which a chain fails to verify, and why."""

    seq: int
    problem: str


def event_hash(event: ChainedEvent) -> str:
    """The SHA-256 (hex) that an event with this content must carry.

    ValueError for a time without a zone.
    """
    if event.occurred_at.utcoffset() is None:
        raise ValueError(f"event {event.seq}: its time has no time zone")
    canonical = msgspec.structs.replace(event, occurred_at=event.occurred_at.astimezone(UTC))
    return hashlib.sha256(_encoder.encode(canonical)).hexdigest()


def find_break(
    events: Iterable[tuple[ChainedEvent, str]],
    *,
    start_seq: int = 1,
    start_hash: str = GENESIS_HASH,
) -> ChainBreak | None:
    """Check (content, stored hash) pairs in ``seq`` order; return the first break, or None.

    A segment that does not start at the beginning is checked from ``start_seq`` and the
    hash of the event before it (``start_hash``).
    """
    expected_seq, expected_prev = start_seq, start_hash
    for content, stored_hash in events:
        if content.seq != expected_seq:
            return ChainBreak(
                expected_seq, f"event {expected_seq} is missing (found {content.seq})"
            )
        if content.prev_hash != expected_prev:
            return ChainBreak(content.seq, "does not commit to the previous event's hash")
        if event_hash(content) != stored_hash:
            return ChainBreak(content.seq, "content does not match its hash (altered)")
        expected_seq, expected_prev = content.seq + 1, stored_hash
    return None
