"""The storage-backend contract: one behaviour suite that every ``StorageBackend`` passes.

Like tus-node-server's shared store tests, the suite is written once and run against the
built-in local store and against every storage plugin. Subclass ``StorageContract`` in a test
module and provide a ``backend_factory`` fixture: a callable that makes a *fresh* backend
instance over one shared store each time it is called (the suite uses several instances to
play several app processes)::

    from exhibit.testing import provider_context
    from exhibit.testing.storage_contract import StorageContract

    class TestMyStore(StorageContract):
        @pytest.fixture
        def backend_factory(self, tmp_path, my_bucket) -> Callable[[], StorageBackend]:
            context = provider_context(tmp_path, "my_store", Config(bucket=my_bucket))
            return lambda: MyStore(context)

Each test uses keys under a fresh ``key_prefix`` so that a store shared between tests (a
bucket, say) needs no cleaning. The tests are ``async def`` and carry the ``asyncio`` mark, so
they need pytest-asyncio (any mode). This module imports pytest: import it only from tests.
"""

import asyncio
import hashlib
import itertools
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
import pytest

from exhibit.storage.backend import (
    HEAD_BYTES,
    InvalidKey,
    InvalidRange,
    ObjectExists,
    ObjectNotFound,
    OffsetMismatch,
    StorageBackend,
    StoredObject,
    UploadBusy,
    put_object,
)

BackendFactory = Callable[[], StorageBackend]
MiB = 1024 * 1024
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class StreamBroken(Exception):
    """Raised by ``breaking_stream`` to play a client whose connection drops."""


def sample_bytes(size: int, seed: int = 0) -> bytes:
    """Deterministic pseudo-random bytes (incompressible, so no store can cheat)."""
    return random.Random(seed).randbytes(size)  # noqa: S311 - test data, not secrets


async def chunks_of(data: bytes, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """Stream ``data`` in pieces of ``chunk_size`` bytes, as a request body would arrive."""
    for start in range(0, len(data), chunk_size):
        await asyncio.sleep(0)
        yield data[start : start + chunk_size]


async def breaking_stream(
    data: bytes, fail_after: int, chunk_size: int = 64 * 1024
) -> AsyncIterator[bytes]:
    """Stream the first ``fail_after`` bytes of ``data``, then raise ``StreamBroken``."""
    async for chunk in chunks_of(data[:fail_after], chunk_size):
        yield chunk
    raise StreamBroken(f"connection dropped after {fail_after} bytes")


async def read_all(
    backend: StorageBackend, key: str, start: int = 0, end: int | None = None
) -> bytes:
    """Read bytes ``start`` to ``end`` of an object into memory (fine for test sizes)."""
    return b"".join([chunk async for chunk in backend.read(key, start, end)])


async def store(backend: StorageBackend, key: str, data: bytes) -> StoredObject:
    """Write a whole object through begin, one append and complete."""
    state = await backend.begin(key)
    size, state = await backend.append(key, state, 0, chunks_of(data))
    assert size == len(data)
    return await backend.complete(key, state)


def stored(key: str, data: bytes) -> StoredObject:
    """The ``StoredObject`` a store must report for ``data`` under ``key``."""
    return StoredObject(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def completed(result: StoredObject, key: str, data: bytes) -> bool:
    """Is ``result`` what a store may report on completing ``data`` under ``key``?

    Key, size and SHA-256 as ``stored``; the first bytes either not given or the right ones.
    """
    given = msgspec.structs.replace(result, head=b"")
    return given == stored(key, data) and result.head in (b"", data[:HEAD_BYTES])


class StorageContract:
    """What every storage backend must do. Subclass it and provide ``backend_factory``."""

    pytestmark = pytest.mark.asyncio

    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        """Override: return a callable that makes a fresh backend over one shared store."""
        pytest.fail(f"{type(self).__name__} must provide a `backend_factory` fixture")

    @pytest.fixture
    def backend(self, backend_factory: BackendFactory) -> StorageBackend:
        """The backend most tests use."""
        return backend_factory()

    @pytest.fixture
    def key_prefix(self) -> str:
        """A prefix no other test uses."""
        return f"contract/{uuid.uuid4().hex}"

    @pytest.fixture
    def key(self, key_prefix: str) -> str:
        """An object key no other test uses."""
        return f"{key_prefix}/object.bin"

    # --- writing ------------------------------------------------------------------------

    async def test_round_trip_reports_size_and_sha256(
        self, backend: StorageBackend, key: str
    ) -> None:
        data = sample_bytes(3 * MiB + 12345)
        state = await backend.begin(key)
        assert await backend.size(key, state) == 0
        size, state = await backend.append(key, state, 0, chunks_of(data))
        assert size == len(data)
        assert await backend.size(key, state) == len(data)
        assert completed(await backend.complete(key, state), key, data)
        assert await backend.stat(key) == stored(key, data)
        assert await read_all(backend, key) == data

    async def test_put_object_writes_a_whole_object(
        self, backend: StorageBackend, key: str
    ) -> None:
        data = sample_bytes(100_000, seed=7)
        assert completed(await put_object(backend, key, chunks_of(data)), key, data)
        assert await read_all(backend, key) == data

    async def test_empty_object(self, backend: StorageBackend, key_prefix: str) -> None:
        never_appended = f"{key_prefix}/never-appended"
        state = await backend.begin(never_appended)
        assert await backend.complete(never_appended, state) == StoredObject(
            never_appended, 0, EMPTY_SHA256
        )
        empty_stream = f"{key_prefix}/empty-stream"
        state = await backend.begin(empty_stream)
        size, state = await backend.append(empty_stream, state, 0, chunks_of(b""))
        assert size == 0
        assert await backend.complete(empty_stream, state) == StoredObject(
            empty_stream, 0, EMPTY_SHA256
        )
        assert await read_all(backend, empty_stream) == b""
        assert await backend.stat(empty_stream) == StoredObject(empty_stream, 0, EMPTY_SHA256)

    async def test_nested_keys(self, backend: StorageBackend, key_prefix: str) -> None:
        key = f"{key_prefix}/2024/case-17/IMG_0001.jpeg"
        await store(backend, key, b"photo")
        assert await read_all(backend, key) == b"photo"
        with pytest.raises(ObjectNotFound):
            await backend.stat(f"{key_prefix}/2024/case-17")

    @pytest.mark.parametrize("bad_key", ["", "../x", "/etc/passwd", "a/../../b", "a\x00b"])
    async def test_unsafe_keys_refused(self, backend: StorageBackend, bad_key: str) -> None:
        with pytest.raises(InvalidKey):
            await backend.begin(bad_key)
        with pytest.raises(InvalidKey):
            await backend.stat(bad_key)
        with pytest.raises(InvalidKey):
            await read_all(backend, bad_key)
        with pytest.raises(InvalidKey):
            await backend.delete(bad_key)

    # --- resuming -----------------------------------------------------------------------

    async def test_resume_on_other_instances(
        self, backend_factory: BackendFactory, key: str
    ) -> None:
        data = sample_bytes(5 * MiB + 17, seed=1)
        cuts = [0, 2 * MiB - 3, 2 * MiB + 5, 4 * MiB + 1, len(data)]
        state = await backend_factory().begin(key)
        for start, end in itertools.pairwise(cuts):
            process = backend_factory()  # each request may land on another app process
            assert await process.size(key, state) == start
            size, state = await process.append(key, state, start, chunks_of(data[start:end]))
            assert size == end
        assert completed(await backend_factory().complete(key, state), key, data)
        assert await read_all(backend_factory(), key) == data

    async def test_wrong_offset_refused_without_damage(
        self, backend: StorageBackend, key: str
    ) -> None:
        data = sample_bytes(1000, seed=2)
        state = await backend.begin(key)
        _, state = await backend.append(key, state, 0, chunks_of(data))
        for wrong in (0, 500, 999, 1001, 5000):
            with pytest.raises(OffsetMismatch) as refused:
                await backend.append(key, state, wrong, chunks_of(b"x" * 100))
            assert (refused.value.expected, refused.value.given) == (1000, wrong)
            assert await backend.size(key, state) == 1000
        assert completed(await backend.complete(key, state), key, data)
        assert await read_all(backend, key) == data

    async def test_broken_stream_keeps_bytes_and_resumes(
        self, backend_factory: BackendFactory, key: str
    ) -> None:
        data = sample_bytes(3 * MiB, seed=3)
        sent = MiB + 300_000
        backend = backend_factory()
        state = await backend.begin(key)
        with pytest.raises(StreamBroken):
            await backend.append(key, state, 0, breaking_stream(data, sent))
        # A store may keep fewer bytes than were sent (whole parts only), never more.
        kept = await backend_factory().size(key, state)
        assert 0 <= kept <= sent
        resumed = backend_factory()
        size, state = await resumed.append(key, state, kept, chunks_of(data[kept:]))
        assert size == len(data)
        assert completed(await resumed.complete(key, state), key, data)
        assert await read_all(resumed, key) == data

    # --- cutting back a refused chunk ---------------------------------------------------

    async def test_truncate_discards_a_refused_chunk(
        self, backend_factory: BackendFactory, key: str
    ) -> None:
        kept, refused, rest = (
            sample_bytes(n, seed=s) for n, s in ((MiB + 7, 20), (MiB, 21), (999, 22))
        )
        state = await backend_factory().begin(key)
        _, state = await backend_factory().append(key, state, 0, chunks_of(kept))
        _, state = await backend_factory().append(key, state, len(kept), chunks_of(refused))
        state = await backend_factory().truncate(key, state, len(kept))
        assert await backend_factory().size(key, state) == len(kept)
        with pytest.raises(OffsetMismatch):
            await backend_factory().append(key, state, len(kept) + len(refused), chunks_of(rest))
        size, state = await backend_factory().append(key, state, len(kept), chunks_of(rest))
        assert size == len(kept) + len(rest)
        assert completed(await backend_factory().complete(key, state), key, kept + rest)
        assert await read_all(backend_factory(), key) == kept + rest

    async def test_truncate_to_the_size_or_to_zero(self, backend: StorageBackend, key: str) -> None:
        data = sample_bytes(70_000, seed=23)
        state = await backend.begin(key)
        state = await backend.truncate(key, state, 0)  # an empty upload: nothing to cut
        _, state = await backend.append(key, state, 0, chunks_of(data))
        state = await backend.truncate(key, state, len(data))
        assert await backend.size(key, state) == len(data)
        state = await backend.truncate(key, state, 0)
        assert await backend.size(key, state) == 0
        _, state = await backend.append(key, state, 0, chunks_of(data[:10]))
        assert completed(await backend.complete(key, state), key, data[:10])

    @pytest.mark.parametrize("offset", [-1, 1001, 5000])
    async def test_truncate_outside_the_upload_refused(
        self, backend: StorageBackend, key: str, offset: int
    ) -> None:
        data = sample_bytes(1000, seed=24)
        state = await backend.begin(key)
        _, state = await backend.append(key, state, 0, chunks_of(data))
        with pytest.raises(OffsetMismatch):
            await backend.truncate(key, state, offset)
        assert await backend.size(key, state) == len(data)
        assert completed(await backend.complete(key, state), key, data)

    async def test_truncate_refused_while_an_append_is_under_way(
        self, backend_factory: BackendFactory, key: str
    ) -> None:
        data = sample_bytes(200_000, seed=25)
        first_chunk_taken, release = asyncio.Event(), asyncio.Event()

        async def slow_stream() -> AsyncIterator[bytes]:
            yield data[:100_000]
            first_chunk_taken.set()
            await release.wait()
            yield data[100_000:]

        backend = backend_factory()
        state = await backend.begin(key)
        appending = asyncio.create_task(backend.append(key, state, 0, slow_stream()))
        try:
            await asyncio.wait_for(first_chunk_taken.wait(), 10)
            with pytest.raises(UploadBusy):
                await asyncio.wait_for(backend_factory().truncate(key, state, 0), 10)
        finally:
            release.set()
        size, state = await appending
        assert size == len(data)
        assert completed(await backend.complete(key, state), key, data)

    async def test_truncate_after_abort_not_found(self, backend: StorageBackend, key: str) -> None:
        state = await backend.begin(key)
        _, state = await backend.append(key, state, 0, chunks_of(b"partial"))
        await backend.abort(key, state)
        with pytest.raises(ObjectNotFound):
            await backend.truncate(key, state, 0)

    # --- never overwriting --------------------------------------------------------------

    async def test_complete_refuses_an_existing_key(
        self, backend: StorageBackend, key: str
    ) -> None:
        original, intruder = sample_bytes(70_000, seed=4), sample_bytes(70_000, seed=5)
        first = await backend.begin(key)
        second = await backend.begin(key)
        _, first = await backend.append(key, first, 0, chunks_of(original))
        _, second = await backend.append(key, second, 0, chunks_of(intruder))
        assert completed(await backend.complete(key, first), key, original)
        with pytest.raises(ObjectExists):
            await backend.complete(key, second)
        await backend.abort(key, second)
        assert await backend.stat(key) == stored(key, original)
        assert await read_all(backend, key) == original

    async def test_writing_over_a_completed_object_refused(
        self, backend: StorageBackend, key: str
    ) -> None:
        original = sample_bytes(10_000, seed=6)
        await store(backend, key, original)
        with pytest.raises(ObjectExists):  # at begin, or at the latest at complete
            await store(backend, key, b"replacement")
        assert await backend.stat(key) == stored(key, original)
        assert await read_all(backend, key) == original

    # --- reading ------------------------------------------------------------------------

    async def test_ranged_reads_return_exact_bytes(self, backend: StorageBackend, key: str) -> None:
        data = sample_bytes(2 * MiB + 4321, seed=8)
        await store(backend, key, data)
        size = len(data)
        ranges = [
            (0, None),
            (0, size),
            (0, 1),
            (0, 1000),
            (size - 1, size),
            (size - 1, None),
            (1234, 1235),
            (MiB - 10, MiB + 10),
            (777, 2 * MiB + 1),
            (5, size - 5),
            (size, None),
            (100, 100),
        ]
        for start, end in ranges:
            got = await read_all(backend, key, start, end)
            assert got == data[start:end], f"range {start}-{end}"

    @pytest.mark.parametrize(("start", "end"), [(-1, None), (10, 9), (0, 101), (101, None)])
    async def test_invalid_ranges_refused(
        self, backend: StorageBackend, key: str, start: int, end: int | None
    ) -> None:
        await store(backend, key, sample_bytes(100))
        with pytest.raises(InvalidRange):
            await read_all(backend, key, start, end)

    async def test_unknown_key_not_found(self, backend: StorageBackend, key: str) -> None:
        with pytest.raises(ObjectNotFound):
            await backend.stat(key)
        with pytest.raises(ObjectNotFound):
            await read_all(backend, key)
        with pytest.raises(ObjectNotFound):
            await backend.delete(key)

    # --- discarding ---------------------------------------------------------------------

    async def test_abort_discards_the_upload(self, backend: StorageBackend, key: str) -> None:
        state = await backend.begin(key)
        _, state = await backend.append(key, state, 0, chunks_of(sample_bytes(50_000)))
        await backend.abort(key, state)
        with pytest.raises(ObjectNotFound):
            await backend.size(key, state)
        with pytest.raises(ObjectNotFound):
            await backend.append(key, state, 50_000, chunks_of(b"more"))
        with pytest.raises(ObjectNotFound):
            await backend.complete(key, state)
        with pytest.raises(ObjectNotFound):
            await backend.stat(key)
        await backend.abort(key, state)  # already gone: not an error

    async def test_delete_removes_the_object(self, backend: StorageBackend, key: str) -> None:
        await store(backend, key, b"to be disposed of")
        await backend.delete(key)
        with pytest.raises(ObjectNotFound):
            await backend.stat(key)
        with pytest.raises(ObjectNotFound):
            await read_all(backend, key)
        with pytest.raises(ObjectNotFound):
            await backend.delete(key)

    # --- concurrency --------------------------------------------------------------------

    async def test_simultaneous_appends_one_wins(
        self, backend_factory: BackendFactory, key: str
    ) -> None:
        slow_data, fast_data = sample_bytes(300_000, seed=9), sample_bytes(200_000, seed=10)
        first_chunk_taken, release = asyncio.Event(), asyncio.Event()

        async def slow_stream() -> AsyncIterator[bytes]:
            yield slow_data[:100_000]
            first_chunk_taken.set()
            await release.wait()
            yield slow_data[100_000:]

        backend = backend_factory()
        state = await backend.begin(key)
        slow = asyncio.create_task(backend.append(key, state, 0, slow_stream()))
        try:
            await asyncio.wait_for(first_chunk_taken.wait(), 10)
            # Another process appends while the first request is half way: it must fail
            # fast (or win outright), never wait for the other or mix its bytes in.
            other = backend_factory()
            fast = await _outcome(
                asyncio.wait_for(other.append(key, state, 0, chunks_of(fast_data)), 10)
            )
        finally:
            release.set()
        outcomes = {"slow": await _outcome(slow), "fast": fast}
        winners = [name for name, result in outcomes.items() if isinstance(result, tuple)]
        assert len(winners) == 1, outcomes
        winner_data = slow_data if winners == ["slow"] else fast_data
        assert await backend.size(key, state) == len(winner_data)
        assert completed(await backend.complete(key, state), key, winner_data)
        assert await read_all(backend, key) == winner_data

    async def test_racing_appends_do_not_interleave(
        self, backend_factory: BackendFactory, key: str
    ) -> None:
        streams = [sample_bytes(2 * MiB, seed=11), sample_bytes(2 * MiB, seed=12)]
        state = await backend_factory().begin(key)
        results = await asyncio.gather(
            *(_outcome(backend_factory().append(key, state, 0, chunks_of(d))) for d in streams)
        )
        winners = [i for i, result in enumerate(results) if isinstance(result, tuple)]
        assert len(winners) == 1, results
        backend = backend_factory()
        assert completed(await backend.complete(key, state), key, streams[winners[0]])
        assert await read_all(backend, key) == streams[winners[0]]


async def _outcome(
    append: Awaitable[tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]] | UploadBusy | OffsetMismatch:
    """The append's result, or the refusal the contract allows a losing append."""
    try:
        return await append
    except (UploadBusy, OffsetMismatch) as refusal:
        return refusal
