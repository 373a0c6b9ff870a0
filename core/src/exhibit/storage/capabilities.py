"""Optional abilities a storage backend may have beyond ``StorageBackend``.

Core code asks for one with ``isinstance(backend, PresignedDownloads)`` (the protocols are
runtime-checkable) and falls back when a backend lacks it: streaming through Exhibit instead
of a presigned URL, recording a legal hold only in the database, and so on. The local store
has ``ObjectSizes`` and ``ObjectListing``; the S3 store (plugin ``storage_s3``) has them all.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

import msgspec

log = logging.getLogger(__name__)


class Retention(msgspec.Struct, frozen=True):
    """An object's write-once protection as the store reports it.

    ``mode`` is ``COMPLIANCE`` or ``GOVERNANCE`` (None when not retained); ``until`` is
    timezone-aware. ``legal_hold`` blocks deletion whatever the date.
    """

    mode: str | None
    until: datetime | None
    legal_hold: bool


@runtime_checkable
class PresignedDownloads(Protocol):
    """The store can hand out short-lived URLs that read an object directly."""

    async def presigned_get(self, object_key: str, filename: str | None = None) -> str | None:
        """A URL valid for the force's configured time, or None if the force does not allow
        direct download (the caller then streams through Exhibit). The caller audits each
        URL given out.
        """
        ...


@runtime_checkable
class LegalHolds(Protocol):
    """The store can place a legal hold that blocks deletion until lifted."""

    async def set_legal_hold(self, object_key: str, on: bool) -> None:
        """Place (``on=True``) or lift a legal hold on a completed object."""
        ...


@runtime_checkable
class RetentionQuery(Protocol):
    """The store can say how long an object is protected from deletion."""

    async def retention(self, object_key: str) -> Retention:
        """The object's retention mode, date and legal hold."""
        ...


@runtime_checkable
class ObjectSizes(Protocol):
    """The store can say how big an object is without reading its bytes (a stat, a HEAD).

    The fixity check (``exhibit evidence verify``) uses it; without it, its quick check
    falls back to ``stat``, which reads every object in full.
    """

    async def object_size(self, object_key: str) -> int:
        """The size in bytes of the completed object ``object_key``.

        Raises ``ObjectNotFound`` when there is none, and ``StorageError`` when the store
        cannot be asked.
        """
        ...


@runtime_checkable
class ObjectListing(Protocol):
    """The store can list the completed objects it holds for the force."""

    def list_objects(self, prefix: str) -> AsyncIterator[str]:
        """The key of every completed object whose key starts with ``prefix``, in any order.

        Uploads in progress and the store's own bookkeeping are not listed; anything else
        that sits where the force's objects do is, so that the fixity check can report what
        no record names. Keys are yielded as the store gives them (a page at a time), never
        gathered first: the check takes them a batch at a time, whatever the store's size.
        Raises ``StorageError`` when the store cannot be listed.
        """
        ...


DEFAULT_UPLOAD_CHUNK = 32 * 1024 * 1024
"""Bytes per request of a witness's upload for a store that states no preference.

Every request costs the same fixed work whatever it carries (the link's check, the upload's
lease taken and released in the database, an fsync), so a witness's browser sends large
chunks; a request cut short keeps the bytes that arrived, so a flaky connection loses
nothing by it.
"""

MAX_UPLOAD_CHUNK = 64 * 1024 * 1024
"""The most a store should ask for per request (``UploadChunks``), unless one unit of its
own is larger: a reverse proxy in front of Exhibit must accept bodies of this size."""


@runtime_checkable
class UploadChunks(Protocol):
    """The store works best when each request of an upload brings a given number of bytes."""

    def upload_chunk_size(self) -> int:
        """Bytes per request (the last request of a file brings what is left), at most
        ``MAX_UPLOAD_CHUNK`` unless the store cannot take less."""
        ...


def upload_chunk_size(backend: object) -> int:
    """How many bytes a witness's browser should send per request to ``backend``."""
    if isinstance(backend, UploadChunks):
        return backend.upload_chunk_size()
    return DEFAULT_UPLOAD_CHUNK


FINISH_WRITES_SECONDS = 30.0
"""How long a stopping process waits for the writes its stores finish in the background."""


@runtime_checkable
class WritesBehind(Protocol):
    """The store answers some writes before they are durable and finishes them in the
    background (the S3 store answers a request while its parts travel). Asked of the store's
    class: what it finishes belongs to the process, not to one force's instance.
    """

    @classmethod
    async def finish_writes(cls) -> None:
        """Wait until the writes this event loop has in the background are durable (or have
        failed and been given up, leaving the upload resumable from what is durable).
        """
        ...


async def finish_background_writes(backend_classes: Iterable[type]) -> None:
    """Let every store class that writes behind finish, within ``FINISH_WRITES_SECONDS``.

    A process calls it before it stops, so that the offsets it gave witnesses hold.
    """
    finishing = [cls.finish_writes() for cls in backend_classes if isinstance(cls, WritesBehind)]
    if not finishing:
        return
    try:
        async with asyncio.timeout(FINISH_WRITES_SECONDS):
            await asyncio.gather(*finishing)
    except TimeoutError:
        log.warning(
            "stopping with uploads still being written after %.0f s: their clients will be"
            " told the offset that is durable and resume from there",
            FINISH_WRITES_SECONDS,
        )
