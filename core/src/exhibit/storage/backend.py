"""The storage-backend contract every store (local disk, S3, ...) implements.

Like tusd's DataStore, the contract knows nothing of HTTP: the upload protocol drives it.
An object is written in three steps so that an upload can span many requests and many app
processes: ``begin`` (returns state the core keeps in the database), ``append`` at a known
offset (any number of times, possibly from another process), then ``complete``, which makes
the object visible under its key atomically and reports the SHA-256 of the bytes stored.
Completed objects are never overwritten.
"""

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, ClassVar, Protocol, runtime_checkable

import msgspec

HEAD_BYTES = 64 * 1024
"""How many of an object's first bytes the core reads to tell its type."""


class StoredObject(msgspec.Struct, frozen=True):
    """A completed object: its key, size in bytes and the SHA-256 of the stored bytes.

    ``head`` is the object's first ``min(size, HEAD_BYTES)`` bytes when the store has them at
    hand from writing it (saving the caller a read), else empty; a ``head`` of any other
    length is ignored.
    """

    key: str
    size: int
    sha256: str
    head: bytes = b""

    def known_head(self) -> bytes | None:
        """The object's first bytes as the store reported them, or None if it did not."""
        return self.head if len(self.head) == min(self.size, HEAD_BYTES) else None


class StorageError(Exception):
    """The store could not do what was asked; the message says why."""


class ObjectExists(StorageError):
    """An object already exists under that key; originals are never overwritten."""


class ObjectNotFound(StorageError):
    """No object (or no upload in progress) under that key."""


class OffsetMismatch(StorageError):
    """An append started at an offset other than the upload's current size."""

    def __init__(self, expected: int, given: int) -> None:
        super().__init__(f"upload is at offset {expected}, append given offset {given}")
        self.expected = expected
        self.given = given


class InvalidKey(StorageError):
    """The object key is not acceptable to the store (characters, length, shape)."""


class UploadBusy(StorageError):
    """Another request (possibly in another process) is writing to this upload right now.

    Nothing was written; the caller may retry once the other request has finished.
    """


class InvalidRange(StorageError):
    """A read asked for bytes outside the object (``0 <= start <= end <= size`` must hold)."""


class RetentionActive(StorageError):
    """The object is under write-once retention or legal hold and cannot be deleted yet."""


@runtime_checkable
class StorageBackend(Protocol):
    """A place to keep evidence objects. Instances are made per force, per use.

    ``key`` names the backend in a force's settings (``local``, ``s3``). The constructor
    takes one ``ProviderContext``.
    """

    key: ClassVar[str]

    async def begin(self, object_key: str) -> dict[str, Any]:
        """Start writing ``object_key``; return state the core stores with the upload.

        Raises ``InvalidKey`` for a key the store cannot hold. May raise ``ObjectExists``
        already here when the key is taken (``complete`` checks again in any case).
        """
        ...

    async def append(
        self, object_key: str, state: dict[str, Any], offset: int, chunks: AsyncIterable[bytes]
    ) -> tuple[int, dict[str, Any]]:
        """Write ``chunks`` starting at ``offset``; return the new size and updated state.

        Raises ``OffsetMismatch`` without writing if ``offset`` is not the current size, and
        ``UploadBusy`` without writing if another append to the same upload is under way.
        If the stream breaks part way, the bytes written so far are kept and the method
        re-raises the stream's exception; ``size`` then tells the caller where to resume.
        """
        ...

    async def size(self, object_key: str, state: dict[str, Any]) -> int:
        """How many bytes an upload in progress holds."""
        ...

    async def truncate(self, object_key: str, state: dict[str, Any], offset: int) -> dict[str, Any]:
        """Cut an upload in progress back to its first ``offset`` bytes; return updated state.

        The upload protocol uses it to discard a chunk it refused (a failed checksum, bytes
        past the declared length), so the upload resumes at ``offset``. Raises
        ``OffsetMismatch`` without changing anything if ``offset`` is negative or past the
        upload's size, ``UploadBusy`` if an append to it is under way, and
        ``ObjectNotFound`` if the upload is gone. Truncating to the current size changes
        nothing.
        """
        ...

    async def complete(self, object_key: str, state: dict[str, Any]) -> StoredObject:
        """Make the object visible under its key and return its size and SHA-256.

        A store that saw the upload's first bytes go by may return them too (``head``).
        """
        ...

    async def abort(self, object_key: str, state: dict[str, Any]) -> None:
        """Discard an upload in progress and everything it wrote.

        Discarding an upload that is already gone is not an error. Raises ``UploadBusy`` if an
        append to it is under way.
        """
        ...

    def read(self, object_key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes ``start`` to ``end`` (exclusive; None for the end) of an object.

        Raises ``InvalidRange`` unless ``0 <= start <= end <= size``, and ``ObjectNotFound``
        for an unknown key (both when iteration starts).
        """
        ...

    async def stat(self, object_key: str) -> StoredObject:
        """Size and SHA-256 of a completed object, re-read from the store."""
        ...

    async def delete(self, object_key: str) -> None:
        """Remove a completed object (disposal). Raises ``RetentionActive`` when locked."""
        ...


async def put_object(
    backend: StorageBackend, object_key: str, chunks: AsyncIterable[bytes]
) -> StoredObject:
    """Write a whole object in one go (derivatives, exports) and return it."""
    state = await backend.begin(object_key)
    try:
        _, state = await backend.append(object_key, state, 0, chunks)
        return await backend.complete(object_key, state)
    except BaseException:
        await backend.abort(object_key, state)
        raise
