"""Appending to an upload from this process, with its parts still travelling after the answer.

A tus client sends one request at a time and waits for each answer. If every answer waited
for its part to reach S3, one part would be in flight at a time and the client would idle
through every round trip. So a request whose bytes end on a part boundary is answered once
its parts are handed over (each spooled to a temporary file with its SHA-256, so memory
stays flat), while up to ``PARALLEL_PARTS`` parts travel; the client's next request, if it
reaches this process, joins the same *open upload* and adds its parts behind them.

Nothing is promised that cannot be kept:

- The manifest stays claimed (and renewed) while parts are in flight, and records them in
  order as they land, so another process asking meanwhile is told the upload is busy (tus:
  423, and the client retries) and never sees a gap.
- Every other operation (``size``, ``truncate``, ``complete``, ``abort``) first waits until
  the parts have landed and been recorded: the request that completes an upload, and hence
  the witness's receipt, comes only when every byte is in S3.
- If a part fails past botocore's retries, or the process dies, the manifest keeps what did
  land; the next append is told the real size (tus: 409) and the client resumes from there.
  A process that stops gracefully first waits for its parts (``finish_all``, called through
  ``S3Storage.finish_writes`` when the platform closes).
  A request that ends mid-part waits for its parts and stages the rest as the tail, as
  before, so an upload is never left with bytes only in this process between requests
  other than whole parts on their way.
"""

import asyncio
import base64
import hashlib
import logging
import tempfile
import threading
from collections import deque
from collections.abc import AsyncIterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import msgspec

from exhibit.storage.backend import OffsetMismatch, UploadBusy
from exhibit_storage_s3 import hashes
from exhibit_storage_s3.staging import Manifest, Part, Segment, Staging

if TYPE_CHECKING:
    from exhibit_storage_s3.backend import S3Storage

log = logging.getLogger(__name__)

PARALLEL_PARTS = 4
"""Parts of one upload in flight to S3 at once (they wait in temporary files, not memory)."""
BATCH = 1024 * 1024
"""Bytes gathered from the request before one write to the part's file."""
SEND_THREADS = 8
"""Threads sending parts, shared by every upload of the process."""
SPARE_FILES = 8
"""Part files kept open once their part has landed, for later parts to overwrite.

Rewriting pages a file already has costs the kernel about half what filling a fresh file
does (no pages to allocate, no blocks to reserve, nothing to free after): some 6% of the
process's CPU on an upload (bench/README.md, stop 22).
"""


async def append(
    store: "S3Storage", token: str, offset: int, chunks: AsyncIterable[bytes]
) -> tuple[int, Manifest]:
    """Append ``chunks`` at ``offset``; return the size accepted and the manifest so far.

    Raises ``OffsetMismatch`` (nothing written) if the upload does not stand at ``offset``,
    ``UploadBusy`` if another request is writing to it, and any error of the body or of a
    part (the bytes accepted before it are kept; ``size`` says how many).
    """
    upload = await _open_at(store, token, offset)
    accepted = await upload.append(chunks)
    return accepted, upload.manifest


async def settled(store: "S3Storage", token: str) -> None:
    """Wait until no part of upload ``token`` is in flight from this event loop.

    Raises ``UploadBusy`` at once while a request is still appending to it.
    """
    upload = _open.get(_key(store, token))
    if upload is not None and upload.loop is asyncio.get_running_loop():
        if upload.appending:
            raise UploadBusy("another request is writing to this upload")
        await upload.closed.wait()


async def finish_all() -> None:
    """Wait until every upload open in this event loop has closed: its parts landed and
    recorded (or failed and given up), its claim released.
    """
    loop = asyncio.get_running_loop()
    waiting = [upload.closed.wait() for upload in _open.values() if upload.loop is loop]
    await asyncio.gather(*waiting)


_open: dict[tuple[str, str], "OpenUpload"] = {}
_threads: ThreadPoolExecutor | None = None
_threads_lock = threading.Lock()
_spare_files: list[IO[bytes]] = []
_spare_lock = threading.Lock()


def _key(store: "S3Storage", token: str) -> tuple[str, str]:
    return store.bucket, store._staging(token).folder


def _send_threads() -> ThreadPoolExecutor:
    global _threads
    with _threads_lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="exhibit-s3-part")
        return _threads


async def _open_at(store: "S3Storage", token: str, offset: int) -> "OpenUpload":
    """The open upload to append to at ``offset``: this process's, or a freshly claimed one."""
    key = _key(store, token)
    upload = _open.get(key)
    if upload is not None:
        if upload.loop.is_closed():
            # Its event loop has ended (a server stopped): its claim lapses in S3.
            del _open[key]
            upload.staging.let_go()
        elif upload.loop is not asyncio.get_running_loop() or upload.appending:
            raise UploadBusy("another request is writing to this upload")
        elif upload.joinable_at(offset):
            return upload
        else:
            await upload.closed.wait()
    staging = store._staging(token)
    manifest = await asyncio.to_thread(staging.claim)
    try:
        if manifest.size != offset:
            raise OffsetMismatch(expected=manifest.size, given=offset)
        running = hashes.running.take(token, offset, staging.claimed_from)
        upload = OpenUpload(store, token, staging, manifest, running)
        if manifest.tail:
            await upload.start_with_tail()
    except BaseException:
        await asyncio.shield(asyncio.to_thread(staging.release))
        raise
    upload.renewer = asyncio.create_task(store._keep_renewing(staging))
    _open[key] = upload
    return upload


def _part_file() -> IO[bytes]:
    """An anonymous temporary file at offset 0: a spare one if any, else a new one.

    A spare may hold an earlier part's bytes past what is written now; ``_Spool`` cuts the
    file at its own size before reading it.
    """
    with _spare_lock:
        if _spare_files:
            return _spare_files.pop()
    return tempfile.TemporaryFile(prefix="exhibit-s3-part-")


def _put_back(file: IO[bytes]) -> None:
    """Keep ``file`` as a spare (up to ``SPARE_FILES``), else close (and so delete) it."""
    try:
        file.seek(0)
    except (OSError, ValueError):
        file.close()
        return
    with _spare_lock:
        if len(_spare_files) < SPARE_FILES:
            _spare_files.append(file)
            return
    file.close()


class _Spool:
    """One part's bytes on their way to S3: a temporary file, its size and SHA-256."""

    def __init__(self) -> None:
        # Given back by close(), once the part has landed (or been given up).
        self.file = _part_file()
        self.hasher = hashlib.sha256()
        self.size = 0
        self.staged = 0  # leading bytes that were staged already (the old tail)
        self.closed = False

    def prefill(self, data: bytes) -> None:
        """Start with bytes staged earlier (hashed into the part, not into the upload)."""
        self._put(data)
        self.staged = len(data)

    def write(self, pieces: list[bytes], running: hashes.Running | None) -> None:
        """Add new bytes, hashed into the part's SHA-256 and the upload's ``running`` one."""
        for piece in pieces:
            self._put(piece)
            if running is not None:
                running.update(piece)

    def _put(self, data: bytes) -> None:
        self.file.write(data)
        self.hasher.update(data)
        self.size += len(data)

    def body(self) -> IO[bytes]:
        """The file, rewound, to send as the part's body."""
        self._settle()
        self.file.seek(0)
        return self.file

    def new_bytes(self) -> bytes:
        """The bytes after the staged ones (less than a part: staged as the new tail)."""
        self._settle()
        self.file.seek(self.staged)
        return self.file.read()

    def _settle(self) -> None:
        # A spare file may run on with an earlier part's bytes: the body ends at our size.
        self.file.flush()
        self.file.truncate(self.size)

    def checksum(self) -> str:
        """The part's SHA-256, base64, as S3 wants it."""
        return base64.b64encode(self.hasher.digest()).decode()

    def close(self) -> None:
        """Give the file back for a later part (or delete it); once only, since two spools
        sharing a spare file would mix their parts."""
        if not self.closed:
            self.closed = True
            _put_back(self.file)


@dataclass
class _Flight:
    """A part on its way: the send, its file, and the staged segments it takes in."""

    sent: "asyncio.Future[Part]"
    spool: _Spool
    consumed: list[Segment]


class OpenUpload:
    """An upload this process has claimed, with the parts it is sending (module docstring)."""

    def __init__(
        self,
        store: "S3Storage",
        token: str,
        staging: Staging,
        manifest: Manifest,
        running: hashes.Running | None,
    ) -> None:
        self.store = store
        self.token = token
        self.staging = staging
        self.manifest = manifest  # as recorded: parts are counted in as they land, in order
        self.accepted = manifest.size  # bytes taken from requests (>= manifest.size)
        # SHA-256 of the accepted bytes, if known, taken as they arrive (one pass with the
        # part's own). It is kept only if every accepted byte ends up recorded (``_release``).
        self.running = running
        self.loop = asyncio.get_running_loop()
        self.appending = False
        self.closing = False
        self.closed = asyncio.Event()
        self.error: BaseException | None = None
        self.flights: deque[_Flight] = deque()
        self.recorder: asyncio.Task[None] | None = None
        self.spool: _Spool | None = None  # the part being gathered
        self.consumed: list[Segment] = []  # staged segments at the start of ``spool``
        self.unrecorded = 0  # parts counted in since the manifest was last written
        self.renewer: asyncio.Task[None] | None = None  # keeps the claim alive, once open

    def joinable_at(self, offset: int) -> bool:
        """Can an append at ``offset`` go on from here (nothing failed, nothing closing)?"""
        return self.error is None and not self.closing and self.accepted == offset

    async def start_with_tail(self) -> None:
        """Begin the first part with the tail bytes an earlier request staged."""
        spool = _Spool()
        self.spool, self.consumed = spool, list(self.manifest.tail)
        tail = self.manifest.tail
        await asyncio.to_thread(
            lambda: spool.prefill(b"".join(self.staging.read_segment(s) for s in tail))
        )

    async def append(self, chunks: AsyncIterable[bytes]) -> int:
        """Take ``chunks``; answer once whole parts are handed over (see the module docstring)."""
        self.appending = True  # until the parts are handed over, or the upload is closed
        try:
            await self._receive(chunks)
        except BaseException:
            await asyncio.shield(self._end())
            raise
        if self.spool is not None or self.error is not None:
            await asyncio.shield(self._end())
            if self.error is not None:
                raise self.error
            return self.accepted
        self.appending = False
        if not self.flights and (self.recorder is None or self.recorder.done()):
            await asyncio.shield(self._close())
        return self.accepted

    async def _receive(self, chunks: AsyncIterable[bytes]) -> None:
        part_size = self.store.config.part_size
        batch: list[bytes] = []
        batched = 0
        async for chunk in chunks:
            while chunk:
                spool = self.spool if self.spool is not None else self._new_spool()
                room = part_size - spool.size - batched
                piece, chunk = (chunk, b"") if len(chunk) <= room else (chunk[:room], chunk[room:])
                batch.append(piece)
                batched += len(piece)
                if batched >= BATCH or len(piece) == room:
                    await self._write(spool, batch)
                    batch, batched = [], 0
                    if spool.size == part_size:
                        await self._hand_over()
        if batch and self.spool is not None:
            await self._write(self.spool, batch)

    def _new_spool(self) -> _Spool:
        self.spool = _Spool()
        return self.spool

    async def _write(self, spool: _Spool, batch: list[bytes]) -> None:
        await asyncio.to_thread(spool.write, batch, self.running)
        self.accepted += sum(len(piece) for piece in batch)

    async def _hand_over(self) -> None:
        """Send the full part in ``spool`` once fewer than ``PARALLEL_PARTS`` are in flight."""
        spool, consumed = self.spool, self.consumed
        assert spool is not None
        self.spool, self.consumed = None, []
        while len(busy := [f.sent for f in self.flights if not f.sent.done()]) >= PARALLEL_PARTS:
            await asyncio.wait(busy, return_when=asyncio.FIRST_COMPLETED)
        if self.error is None and not self._claim_holds():
            self.error = UploadBusy("this request's claim on the upload could not be renewed")
        if self.error is not None:
            spool.close()
            raise self.error
        number = len(self.manifest.parts) + len(self.flights) + 1
        sent = self.loop.run_in_executor(_send_threads(), self._send, number, spool)
        self.flights.append(_Flight(sent, spool, consumed))
        if self.recorder is None or self.recorder.done():
            self.recorder = asyncio.create_task(self._record())

    def _claim_holds(self) -> bool:
        # A part sent after the claim lapsed could land over the part of the same number
        # that a process which took the upload over has sent and recorded meanwhile.
        return self.staging.holds(margin=self.staging.lease / 3)

    def _send(self, number: int, spool: _Spool) -> Part:
        if not self._claim_holds():
            raise UploadBusy("this request's claim on the upload could not be renewed")
        return self.store._upload_part(
            self.manifest, number, spool.body(), spool.size, spool.checksum()
        )

    async def _record(self) -> None:
        """Count parts in as they land, in order; write the manifest now and then; close when done.

        After a failed part nothing later is counted (it would leave a gap).
        """
        try:
            while self.flights:
                flight = self.flights[0]
                try:
                    part = await flight.sent
                except BaseException as exc:
                    self.error = self.error or exc
                # Counted in the same step as it leaves ``flights``: part numbers stay right.
                self.flights.popleft()
                flight.spool.close()
                if self.error is None:
                    self._count(part, flight)
                    next_landed = bool(self.flights) and self.flights[0].sent.done()
                    if self.unrecorded >= PARALLEL_PARTS and not next_landed:
                        await asyncio.to_thread(self.staging.commit, self.manifest)
                        self.unrecorded = 0
        except BaseException as exc:
            self.error = self.error or exc
        if not self.appending:
            await self._close()

    def _count(self, part: Part, flight: _Flight) -> None:
        manifest = self.manifest
        consumed = {s.name for s in flight.consumed}
        self.manifest = msgspec.structs.replace(
            manifest,
            size=manifest.size + flight.spool.size - flight.spool.staged,
            parts=[*manifest.parts, part],
            tail=[s for s in manifest.tail if s.name not in consumed],
            retained=manifest.retained + flight.consumed,
        )
        self.unrecorded += 1

    async def _end(self) -> None:
        """Wait for the parts in flight, stage the part begun as the new tail, close.

        The append is still under way (``appending``), so the recorder leaves closing to this.
        """
        try:
            if self.recorder is not None:
                await self.recorder
            spool, self.spool = self.spool, None
            if spool is not None:
                try:
                    if self.error is None and spool.size > spool.staged:
                        await asyncio.to_thread(self._stage_tail, spool)
                finally:
                    spool.close()
        finally:
            await self._close()

    def _stage_tail(self, spool: _Spool) -> None:
        manifest = self.manifest
        data = spool.new_bytes()
        segment = self.staging.put_segment(manifest.size, data)
        self.manifest = msgspec.structs.replace(
            manifest, size=manifest.size + segment.size, tail=[*manifest.tail, segment]
        )

    async def _close(self) -> None:
        """Record the manifest and give the claim up (once); keep the running hash if whole."""
        if self.closing:
            await self.closed.wait()
            return
        self.closing = True
        if self.renewer is not None:
            self.renewer.cancel()
        try:
            await asyncio.to_thread(self._release)
        except Exception as exc:
            log.warning("S3 upload %s: the manifest could not be recorded (%s)", self.token, exc)
            self.error = self.error or exc
        finally:
            key = _key(self.store, self.token)
            if _open.get(key) is self:
                del _open[key]
            self.closed.set()

    def _release(self) -> None:
        self.staging.release(self.manifest)
        whole = self.error is None and self.accepted == self.manifest.size
        if whole and self.running is not None:
            hashes.running.keep(self.token, self.running, self.manifest.size, self.staging.etag)
        else:
            hashes.running.drop(self.token)
