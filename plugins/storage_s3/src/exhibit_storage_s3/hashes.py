"""Running SHA-256 states of the uploads this process appended to in order.

``complete`` uses a state instead of reading the object back when it covers exactly the
bytes recorded, and hands the upload's first bytes, kept with it, to the core (which would
otherwise read them back to tell the file's type). A state is tied to the manifest version
(ETag) this process last wrote: if any other writer changed the upload since (appended, cut
back and rewrote), the versions differ and ``complete`` reads the object back instead.
"""

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from exhibit.storage.backend import HEAD_BYTES


class Running:
    """The SHA-256 of an upload's bytes so far, and its first ``HEAD_BYTES`` bytes."""

    def __init__(self, hasher: Any | None = None, head: bytes = b"") -> None:
        self.hasher = hashlib.sha256() if hasher is None else hasher
        self.head = head

    def update(self, data: bytes) -> None:
        """Take the next bytes of the upload."""
        self.hasher.update(data)
        if len(self.head) < HEAD_BYTES:
            self.head += data[: HEAD_BYTES - len(self.head)]

    def copy(self) -> "Running":
        """An independent copy (the hash state and the head)."""
        return Running(self.hasher.copy(), self.head)

    def hexdigest(self) -> str:
        """The SHA-256 of the bytes taken so far."""
        digest: str = self.hasher.hexdigest()
        return digest


class RunningHashes:
    """Running states by upload token, with the position and manifest version they cover."""

    def __init__(self, limit: int = 256) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[str, tuple[Running, int, str | None]] = OrderedDict()
        self._limit = limit

    def take(self, token: str, position: int, version: str | None) -> Running | None:
        """A copy of the state covering ``position`` bytes at manifest ``version``, or None.

        At position 0 a fresh state is returned: there is nothing before it to have missed.
        """
        with self._lock:
            found = self._states.get(token)
        if found is not None and found[1:] == (position, version) and version is not None:
            return found[0].copy()
        return Running() if position == 0 else None

    def keep(self, token: str, hasher: Running, position: int, version: str | None) -> None:
        """Remember ``hasher`` as covering ``position`` bytes of ``token`` at ``version``."""
        with self._lock:
            self._states[token] = (hasher, position, version)
            self._states.move_to_end(token)
            while len(self._states) > self._limit:
                self._states.popitem(last=False)

    def drop(self, token: str) -> None:
        """Forget an upload's state."""
        with self._lock:
            self._states.pop(token, None)


running = RunningHashes()
"""The process's states (tests replace it to play a process that has none)."""
