"""HTTP byte ranges (RFC 9110 §14): one range per request, as browsers ask for media."""

import re
from dataclasses import dataclass

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiable(ValueError):
    """The Range header asks for bytes the object does not have (answer 416)."""


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` up to ``end`` (exclusive) of an object of ``size`` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start

    @property
    def content_range(self) -> str:
        """The ``Content-Range`` value for a 206 answer."""
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range a ``Range`` header asks for, or None to send the whole object.

    A header that is not a single ``bytes`` range is ignored (the whole object is sent, as
    RFC 9110 allows); a range that starts past the end raises ``RangeNotSatisfiable``.
    """
    if not header:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        return None
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"bytes */{size}")
        return ByteRange(max(size - suffix, 0), size, size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"bytes */{size}")
    return ByteRange(start, end, size)
