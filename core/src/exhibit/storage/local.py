"""Built-in plugin ``local_storage``: evidence on the local disk, under ``settings.storage_dir``.

Layout, per force::

    <storage_dir>/<force slug>/objects/<key>     completed objects, read-only (0o444)
    <storage_dir>/<force slug>/partial/<id>      uploads in progress (0o600)

The state an upload keeps in the database names its partial file, so any app process sharing
the folder can continue it. An append holds a non-blocking ``flock`` on the partial file, so
two requests (in one process or in two) never interleave their writes. ``complete`` hashes
the bytes on disk and publishes them with ``link``, which never overwrites. Every blocking
file operation runs in a worker thread, and data is fsynced before a call reports it stored.

The folder must be on a filesystem whose ``flock`` works across all the processes sharing it
(a local disk does; some network filesystems do not).
"""

import asyncio
import errno
import fcntl
import hashlib
import io
import os
import re
import secrets
import stat
import threading
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from exhibit.plugins import hookimpl
from exhibit.plugins.context import ProviderContext
from exhibit.storage.backend import (
    InvalidKey,
    InvalidRange,
    ObjectExists,
    ObjectNotFound,
    OffsetMismatch,
    StorageBackend,
    StorageError,
    StoredObject,
    UploadBusy,
)

CHUNK_SIZE = 1024 * 1024
"""Bytes per read, and how much an append gathers before handing a batch to a thread."""

MAX_KEY_LENGTH = 500  # the storage_key columns hold 500 characters
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_DIR_MODE = 0o700
_PARTIAL_MODE = 0o600
_PUBLISHED_MODE = 0o444
_UPLOAD_ATTRIBUTE = "user.exhibit.upload"
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC
_datasync = getattr(os, "fdatasync", os.fsync)


def check_key(object_key: str) -> None:
    """Raise ``InvalidKey`` unless ``object_key`` is a safe relative key.

    A key is 1 to 500 characters of ``/``-separated segments; each segment starts with a
    letter or digit and holds only letters, digits, ``.``, ``_`` and ``-``. So no absolute
    paths, no ``.`` or ``..``, no empty segments, no hidden files, no NUL: a key cannot leave
    the force's folder.
    """
    if not isinstance(object_key, str) or not 0 < len(object_key) <= MAX_KEY_LENGTH:
        raise InvalidKey(f"object key must be 1 to {MAX_KEY_LENGTH} characters")
    if not all(_SEGMENT.fullmatch(segment) for segment in object_key.split("/")):
        raise InvalidKey(
            f"object key {object_key!r} must be '/'-separated segments of letters, digits, "
            "'.', '_' and '-', each starting with a letter or digit"
        )


class LocalDiskStorage:
    """Evidence objects as files in a folder per force (see the module docstring)."""

    key: ClassVar[str] = "local"

    def __init__(self, context: ProviderContext) -> None:
        slug = context.force.slug
        if not _SEGMENT.fullmatch(slug):
            raise StorageError(f"force slug {slug!r} cannot name a storage folder")
        self.root = context.settings.storage_dir.absolute() / slug
        self._objects = self.root / "objects"
        self._partials = self.root / "partial"

    async def begin(self, object_key: str) -> dict[str, Any]:
        """Create an empty partial file; the state names it (``{"partial": id, "key": key}``)."""
        check_key(object_key)
        upload_id = secrets.token_hex(16)
        await asyncio.to_thread(self._create_partial, object_key, self._partials / upload_id)
        return {"partial": upload_id, "key": object_key}

    async def append(
        self, object_key: str, state: dict[str, Any], offset: int, chunks: AsyncIterable[bytes]
    ) -> tuple[int, dict[str, Any]]:
        """Write ``chunks`` at ``offset`` under an exclusive lock; fsync; return the new size.

        Chunks are gathered into batches of about ``CHUNK_SIZE`` bytes. Each batch is written
        in a worker thread while the next one is gathered, so the network and the disk work
        at the same time; with one batch being written and one gathered, memory stays bounded
        whatever the stream's length. If the stream (or the task) fails, what was received is
        written and fsynced before re-raising.
        """
        writer = _PartialWriter(self._partial_path(object_key, state))
        batch: list[bytes] = []
        batched = 0
        number = 0
        writing: asyncio.Task[None] | None = None
        try:
            await asyncio.to_thread(writer.open, offset)
            async for chunk in chunks:
                if not chunk:
                    continue
                batch.append(chunk)
                batched += len(chunk)
                if batched >= CHUNK_SIZE:
                    if writing is not None:
                        # Shielded: a cancelled append still lets the batch in hand finish.
                        await asyncio.shield(writing)
                    number += 1
                    writing = asyncio.create_task(asyncio.to_thread(writer.write, number, batch))
                    batch, batched = [], 0
        except BaseException:
            await _finish_writer(writer, writing, number + 1, batch)
            raise
        size, error = await _finish_writer(writer, writing, number + 1, batch)
        if error is not None:
            raise error
        return size, state

    async def size(self, object_key: str, state: dict[str, Any]) -> int:
        """The partial file's size: where the next append must start."""
        path = self._partial_path(object_key, state)
        try:
            return (await asyncio.to_thread(os.stat, path, follow_symlinks=False)).st_size
        except FileNotFoundError:
            raise ObjectNotFound(f"no upload in progress for {object_key!r}") from None

    async def truncate(self, object_key: str, state: dict[str, Any], offset: int) -> dict[str, Any]:
        """Cut the partial file back to ``offset`` bytes under its lock, durably."""
        await asyncio.to_thread(_truncate, self._partial_path(object_key, state), offset)
        return state

    async def complete(self, object_key: str, state: dict[str, Any]) -> StoredObject:
        """Hash the partial file, then publish it read-only under its key; never overwrites.

        Raises ``ObjectExists`` (leaving the upload in place) if the key is taken,
        ``UploadBusy`` if an append is under way and ``ObjectNotFound`` if the upload is gone.
        """
        partial = self._partial_path(object_key, state)
        final = self._object_path(object_key)
        try:
            size, digest = await asyncio.to_thread(_publish, partial, final, object_key)
        except ObjectNotFound:
            # An earlier call may have published this upload and its caller died before
            # recording the item: the object it published is the answer.
            earlier = await asyncio.to_thread(_published_earlier, partial, final, object_key)
            if earlier is None:
                raise
            size, digest = earlier
        return StoredObject(key=object_key, size=size, sha256=digest)

    async def abort(self, object_key: str, state: dict[str, Any]) -> None:
        """Remove the partial file (nothing to do if it is already gone)."""
        await asyncio.to_thread(_discard, self._partial_path(object_key, state))

    async def read(
        self, object_key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Stream bytes ``start`` to ``end`` (exclusive) of an object in ``CHUNK_SIZE`` pieces."""
        path = self._object_path(object_key)
        opened = await _open_in_thread(lambda: _open_object(path, object_key))
        fd, size = opened
        loop = asyncio.get_running_loop()
        pending: asyncio.Future[bytes] | None = None
        try:
            stop = size if end is None else end
            if not 0 <= start <= stop <= size:
                raise InvalidRange(f"range {start}-{end} is outside {object_key!r} ({size} bytes)")
            position = start
            while position < stop:
                count = min(CHUNK_SIZE, stop - position)
                pending = loop.run_in_executor(None, os.pread, fd, count, position)
                # Shielded so that a cancelled reader never closes the fd under a running pread.
                data = await asyncio.shield(pending)
                if not data:
                    raise StorageError(f"{object_key!r} is shorter than its recorded size")
                position += len(data)
                yield data
        finally:
            if pending is not None and not pending.done():
                pending.add_done_callback(lambda _: os.close(fd))
            else:
                os.close(fd)

    async def stat(self, object_key: str) -> StoredObject:
        """Re-read the object and return its size and SHA-256."""
        path = self._object_path(object_key)
        size, digest = await asyncio.to_thread(_hash_object, path, object_key)
        return StoredObject(key=object_key, size=size, sha256=digest)

    async def delete(self, object_key: str) -> None:
        """Remove a completed object (disposal); raises ``ObjectNotFound`` if there is none."""
        await asyncio.to_thread(_remove_object, self._object_path(object_key), object_key)

    # --- capabilities (exhibit.storage.capabilities) --------------------------------------

    async def object_size(self, object_key: str) -> int:
        """The object's size as the file system records it, without reading the file."""
        return await asyncio.to_thread(_object_size, self._object_path(object_key), object_key)

    async def list_objects(self, prefix: str) -> AsyncIterator[str]:
        """The key of every file in the force's ``objects`` folder that starts with ``prefix``.

        The tree is walked one folder per worker-thread call, so memory holds one folder's
        names at a time. A force that has stored nothing yet has no folder, and no objects.
        """
        folder = prefix.rpartition("/")[0]
        top = self._object_path(folder) if folder else self._objects
        walker = os.walk(top, onerror=_unless_gone)
        while (found := await asyncio.to_thread(next, walker, None)) is not None:
            directory, _, files = found
            relative = Path(directory).relative_to(self._objects).as_posix()
            for name in sorted(files):
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    yield key

    def _object_path(self, object_key: str) -> Path:
        check_key(object_key)
        return self._objects.joinpath(*object_key.split("/"))

    def _partial_path(self, object_key: str, state: dict[str, Any]) -> Path:
        check_key(object_key)
        upload_id = state.get("partial") if isinstance(state, dict) else None
        if (
            not isinstance(upload_id, str)
            or not _UPLOAD_ID.fullmatch(upload_id)
            or state.get("key") != object_key
        ):
            raise StorageError(f"upload state was not made by the local store for {object_key!r}")
        return self._partials / upload_id

    def _create_partial(self, object_key: str, partial: Path) -> None:
        if os.path.lexists(self._object_path(object_key)):
            raise ObjectExists(f"an object already exists under {object_key!r}")
        _make_dirs(partial.parent)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS
        os.close(os.open(partial, flags, _PARTIAL_MODE))
        _sync_dir(partial.parent)


@hookimpl
def exhibit_storage_backends() -> Sequence[type[StorageBackend]]:
    """The local-disk store, key ``local``."""
    return [LocalDiskStorage]


class _RunningHashes:
    """SHA-256 states of partial files, kept while one process appends to them in order.

    Hashing each batch as it is written saves re-reading the whole file at ``complete``.
    A state is used only when it covers exactly the bytes before an append's offset (bytes
    before an offset never change: files only grow, or are cut back by ``truncate``, which
    drops the state). Anything else (another process appended, a write failed, the process
    restarted) leaves no state, and ``complete`` hashes the file from disk as before.
    """

    def __init__(self, limit: int = 1024) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._limit = limit

    def take(self, path: Path, position: int) -> Any | None:
        """The state covering ``position`` bytes of ``path`` (a new one at 0), or None."""
        with self._lock:
            found = self._states.pop(str(path), None)
        if found is not None and found[1] == position:
            return found[0]
        return hashlib.sha256() if position == 0 else None

    def keep(self, path: Path, hasher: Any, position: int) -> None:
        """Remember ``hasher`` as covering the first ``position`` bytes of ``path``."""
        with self._lock:
            self._states[str(path)] = (hasher, position)
            while len(self._states) > self._limit:
                self._states.popitem(last=False)

    def drop(self, path: Path) -> None:
        """Forget ``path``'s state (truncated, discarded or published)."""
        with self._lock:
            self._states.pop(str(path), None)


_running = _RunningHashes()


class _PartialWriter:
    """One append's handle on a partial file, used from worker threads one job at a time.

    ``open`` locks the file and checks the offset; ``write`` adds numbered batches; ``close``
    writes the last batch, fsyncs and closes. A lock, a closed flag and the batch numbers keep
    the order right even when the task is cancelled while a job is queued or running: a batch
    is written exactly once, and nothing touches the file descriptor after it is closed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._closed = False
        self._failed = False
        self._dirty = False
        self._batches_written = 0
        self._position = 0
        self._hasher: Any | None = None

    def open(self, offset: int) -> None:
        """Open and lock the partial file; raise unless its size is ``offset``."""
        with self._lock:
            if self._closed:
                return
            fd = _open_locked(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                size = os.fstat(fd).st_size
                if size != offset:
                    raise OffsetMismatch(expected=size, given=offset)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            self._position = size
            self._hasher = _running.take(self.path, size)

    def write(self, number: int, batch: list[bytes]) -> None:
        """Write batch ``number`` unless it (or a failure) came first."""
        with self._lock:
            self._write(number, batch)

    def close(self, number: int, batch: list[bytes]) -> int:
        """Write the last batch, fsync, unlock and close; return the file's size."""
        with self._lock:
            if self._closed or self._fd is None:
                self._closed = True
                return -1
            try:
                self._write(number, batch)
                if self._dirty:
                    _datasync(self._fd)
                size = os.fstat(self._fd).st_size
                if self._hasher is not None and not self._failed and size == self._position:
                    _running.keep(self.path, self._hasher, size)
                return size
            finally:
                os.close(self._fd)
                self._closed = True

    def _write(self, number: int, batch: list[bytes]) -> None:
        if self._closed or self._failed or self._fd is None or number <= self._batches_written:
            return
        self._dirty = True
        start = self._position
        try:
            for chunk in batch:
                _write_all(self._fd, chunk)
                self._position += len(chunk)
                if self._hasher is not None:
                    self._hasher.update(chunk)
        except OSError as exc:
            self._failed = True
            raise StorageError(f"writing {self.path.name}: {exc.strerror}") from exc
        self._batches_written = number
        _start_writeback(self._fd, start, self._position - start)


def _start_writeback(fd: int, start: int, length: int) -> None:
    """Have the kernel start writing a batch to disk now rather than at the fsync.

    On Linux, ``POSIX_FADV_DONTNEED`` starts writeback of the range without waiting, so the
    fsync before an append reports success has little left to do. Pages still dirty stay
    cached; correctness never depends on this hint.
    """
    if hasattr(os, "posix_fadvise") and length > 0:
        os.posix_fadvise(fd, start, length, os.POSIX_FADV_DONTNEED)


def _write_all(fd: int, chunk: bytes) -> None:
    view = memoryview(chunk)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _open_locked(path: Path, flags: int) -> int:
    """Open an upload's partial file holding its exclusive lock, or raise."""
    try:
        fd = os.open(path, flags | _OPEN_FLAGS)
    except FileNotFoundError:
        raise ObjectNotFound(f"no upload in progress in {path.name}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise UploadBusy(f"another request is writing to upload {path.name}") from None
    return fd


def _open_object(path: Path, object_key: str) -> tuple[int, int]:
    """Open a completed object for reading; return the descriptor and the size."""
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise ObjectNotFound(f"no object under {object_key!r}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ObjectNotFound(f"no object under {object_key!r}")
    return fd, info.st_size


def _sha256(fd: int) -> str:
    """SHA-256 of a whole file, read in bounded memory."""
    os.lseek(fd, 0, os.SEEK_SET)
    with io.FileIO(fd, "r", closefd=False) as raw:
        return hashlib.file_digest(raw, "sha256").hexdigest()


def _object_size(path: Path, object_key: str) -> int:
    try:
        info = os.stat(path, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        raise ObjectNotFound(f"no object under {object_key!r}") from None
    except OSError as exc:
        raise StorageError(f"cannot look up {object_key!r}: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ObjectNotFound(f"no object under {object_key!r}")
    return info.st_size


def _unless_gone(exc: OSError) -> None:
    """``os.walk``'s error handler: a folder that is not there holds nothing; else raise."""
    if not isinstance(exc, FileNotFoundError | NotADirectoryError):
        raise StorageError(f"cannot list the folder {exc.filename}: {exc.strerror}") from exc


def _hash_object(path: Path, object_key: str) -> tuple[int, str]:
    fd, size = _open_object(path, object_key)
    try:
        return size, _sha256(fd)
    finally:
        os.close(fd)


def _publish(partial: Path, final: Path, object_key: str) -> tuple[int, str]:
    """Hash ``partial`` under its lock, then link it read-only at ``final`` and unlink it."""
    fd = _open_locked(partial, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        hasher = _running.take(partial, size)
        digest = hasher.hexdigest() if hasher is not None and size > 0 else _sha256(fd)
        _running.drop(partial)
        _tag_upload(fd, partial.name)
        os.fsync(fd)
        os.fchmod(fd, _PUBLISHED_MODE)
        try:
            _make_dirs(final.parent)
            os.link(partial, final, follow_symlinks=False)
        except FileExistsError:
            # An earlier call may have linked this very file and stopped before the unlink.
            if not _is_same_file(fd, final):
                os.fchmod(fd, _PARTIAL_MODE)
                raise ObjectExists(f"an object already exists under {object_key!r}") from None
        except NotADirectoryError as exc:
            os.fchmod(fd, _PARTIAL_MODE)
            raise ObjectExists(f"{object_key!r} runs through an existing object") from exc
        os.unlink(partial)
        _sync_dir(final.parent)
        _sync_dir(partial.parent)
        return size, digest
    finally:
        os.close(fd)


def _tag_upload(fd: int, upload_id: str) -> None:
    """Name the upload on the file itself, so that a repeated ``complete`` can recognise it.

    Where the file system keeps no extended attributes the object goes untagged, and a
    ``complete`` repeated after the partial file went is refused as before.
    """
    try:
        os.setxattr(fd, _UPLOAD_ATTRIBUTE, upload_id.encode())
    except OSError as exc:
        if exc.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def _published_earlier(partial: Path, final: Path, object_key: str) -> tuple[int, str] | None:
    """Size and SHA-256 of ``final`` if the upload whose partial file was ``partial`` made it."""
    try:
        tag = os.getxattr(final, _UPLOAD_ATTRIBUTE, follow_symlinks=False)
    except OSError:
        return None
    if tag != partial.name.encode():
        return None
    return _hash_object(final, object_key)


def _truncate(partial: Path, offset: int) -> None:
    fd = _open_locked(partial, os.O_WRONLY)
    try:
        size = os.fstat(fd).st_size
        if not 0 <= offset <= size:
            raise OffsetMismatch(expected=size, given=offset)
        if offset < size:
            _running.drop(partial)
            os.ftruncate(fd, offset)
            os.fsync(fd)
    finally:
        os.close(fd)


def _discard(partial: Path) -> None:
    try:
        fd = _open_locked(partial, os.O_RDONLY)
    except ObjectNotFound:
        return
    try:
        _running.drop(partial)
        os.unlink(partial)
        _sync_dir(partial.parent)
    finally:
        os.close(fd)


def _remove_object(path: Path, object_key: str) -> None:
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ObjectNotFound(f"no object under {object_key!r}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ObjectNotFound(f"no object under {object_key!r}")
    # Unlinking needs write permission on the folder only, so the 0o444 mode can stay.
    os.unlink(path)
    _sync_dir(path.parent)


def _is_same_file(fd: int, path: Path) -> bool:
    try:
        other = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (other.st_dev, other.st_ino)


def _make_dirs(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0o700, durably."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, _DIR_MODE)
        except FileExistsError:
            continue
        _sync_dir(folder.parent)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def _finish_writer(
    writer: _PartialWriter, writing: "asyncio.Task[None] | None", number: int, batch: list[bytes]
) -> tuple[int, BaseException | None]:
    """Let the batch being written finish, then write the last one, fsync and close.

    Seen through even if this task is cancelled meanwhile. Returns the file's size and the
    error the pending batch raised, if any (the caller decides whether to raise it).
    """

    async def finish() -> tuple[int, BaseException | None]:
        error = None
        if writing is not None:
            try:
                await writing
            except BaseException as exc:
                error = exc
        return await asyncio.to_thread(writer.close, number, batch), error

    return await asyncio.shield(finish())


async def _open_in_thread(opener: Callable[[], tuple[int, int]]) -> tuple[int, int]:
    """Open a file in a worker thread; if cancelled meanwhile, close it once it is open."""
    opening = asyncio.ensure_future(asyncio.to_thread(opener))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_opened)
        raise


def _close_opened(opening: asyncio.Future[tuple[int, int]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        os.close(opening.result()[0])
