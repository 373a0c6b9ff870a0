"""A run of a force's audit chain written out as JSON lines, and its offline check.

The same form serves a share bundle's ``audit/segment.jsonl`` (events about its exhibits in
full, the rest as links) and an export of a whole chain (every event in full). Each line is
either an event in full, ``{"form": "event", "content": {...}, "hash": "..."}``, whose
content is what the hash is taken over (``exhibit.audit.chain``), or a link only,
``{"form": "link", "seq": N, "prev_hash": "...", "hash": "..."}``, which proves the chain
runs through an event without giving it. Like ``chain``, nothing here needs a database.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from exhibit.audit.chain import ChainedEvent, event_hash


class FullEvent(msgspec.Struct, frozen=True, kw_only=True, tag="event", tag_field="form"):
    """An audit event given in full: its hashed content and stored hash."""

    content: ChainedEvent
    hash: str


class LinkOnly(msgspec.Struct, frozen=True, kw_only=True, tag="link", tag_field="form"):
    """An audit event about something else: only what chains it to its neighbours."""

    seq: int
    prev_hash: str
    hash: str


SegmentLine = FullEvent | LinkOnly

_decoder = msgspec.json.Decoder(SegmentLine)


def encode_line(line: SegmentLine) -> bytes:
    """One line of a segment, newline included."""
    return msgspec.json.encode(line) + b"\n"


@dataclass
class Walk:
    """What a walk along a segment found: how far the chain runs unbroken, and why it stops.

    ``problem`` is None when every line chained; ``last_seq`` and ``last_hash`` are then the
    segment's end (``first_seq - 1`` and the starting hash for an empty one).
    """

    count: int = 0
    last_seq: int = 0
    last_hash: str = ""
    full_events: list[int] = field(default_factory=list)
    problem: str | None = None
    noted_hash: str | None = None
    """The hash of the event ``walk`` was asked to note, if the segment reached it."""


def walk(
    lines: Iterable[bytes], *, first_seq: int, start_prev_hash: str, note: int | None = None
) -> Walk:
    """Check ``lines``: seqs contiguous from ``first_seq``, each committing to the previous
    hash (the first to ``start_prev_hash``), every event given in full matching its hash.
    The hash of event ``note`` is kept in ``noted_hash``.

    Stops at the first line that fails, saying which event and why.
    """
    found = Walk(last_seq=first_seq - 1, last_hash=start_prev_hash)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = _decoder.decode(raw)
        except msgspec.DecodeError as exc:
            found.problem = f"line {number} is not an audit event ({exc})"
            return found
        seq = line.content.seq if isinstance(line, FullEvent) else line.seq
        prev = line.content.prev_hash if isinstance(line, FullEvent) else line.prev_hash
        expected = found.last_seq + 1
        if seq != expected:
            found.problem = f"event {expected} is missing (found event {seq})"
            return found
        if prev != found.last_hash:
            found.problem = f"event {seq} does not commit to the previous event's hash"
            return found
        if isinstance(line, FullEvent):
            if event_hash(line.content) != line.hash:
                found.problem = f"event {seq} does not match its hash (altered)"
                return found
            found.full_events.append(seq)
        found.count += 1
        found.last_seq, found.last_hash = seq, line.hash
        if seq == note:
            found.noted_hash = line.hash
    return found
