"""Running SHA-256 states of the uploads this process appended to in order.

``complete`` uses a state instead of reading the object back when it covers exactly the
bytes recorded. A state is tied to the manifest version (ETag) this process last wrote: if
any other writer changed the upload since (appended, cut back and rewrote), the versions
differ and ``complete`` reads the object back instead.
"""

import hashlib
import threading
from collections import OrderedDict
from typing import Any


class RunningHashes:
    """SHA-256 states by upload token, with the position and manifest version they cover."""

    def __init__(self, limit: int = 256) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[str, tuple[Any, int, str | None]] = OrderedDict()
        self._limit = limit

    def take(self, token: str, position: int, version: str | None) -> Any | None:
        """A copy of the state covering ``position`` bytes at manifest ``version``, or None.

        At position 0 a fresh state is returned: there is nothing before it to have missed.
        """
        with self._lock:
            found = self._states.get(token)
        if found is not None and found[1:] == (position, version) and version is not None:
            return found[0].copy()
        return hashlib.sha256() if position == 0 else None

    def keep(self, token: str, hasher: Any, position: int, version: str | None) -> None:
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
