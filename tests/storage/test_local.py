"""The local-disk store: the shared storage contract, then what only a folder on disk must do."""

import asyncio
import hashlib
import os
import stat
import tracemalloc
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.storage import local
from exhibit.storage.backend import (
    InvalidKey,
    ObjectNotFound,
    StorageBackend,
    StorageError,
    StoredObject,
    UploadBusy,
)
from exhibit.storage.local import LocalDiskStorage
from exhibit.testing import provider_context
from exhibit.testing.storage_contract import (
    MiB,
    StorageContract,
    StreamBroken,
    breaking_stream,
    chunks_of,
    completed,
    read_all,
    sample_bytes,
    store,
    stored,
)

DEMO = ForceInfo(id=1, slug="demo", name="Demo")
OTHER = ForceInfo(id=2, slug="other", name="Other")


def make_context(tmp_path: Path, force: ForceInfo = DEMO) -> ProviderContext:
    return provider_context(tmp_path / "data", "local_storage", force=force)


@pytest.fixture
def context(tmp_path: Path) -> ProviderContext:
    return make_context(tmp_path)


@pytest.fixture
def backend(context: ProviderContext) -> LocalDiskStorage:
    return LocalDiskStorage(context)


@pytest.fixture
def storage_dir(context: ProviderContext) -> Path:
    return context.settings.storage_dir


class TestLocalDiskContract(StorageContract):
    @pytest.fixture
    def backend_factory(self, context: ProviderContext) -> Callable[[], StorageBackend]:
        return lambda: LocalDiskStorage(context)


def files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if not p.is_dir()}


def test_registered_as_the_builtin_local_backend() -> None:
    assert local.exhibit_storage_backends() == [LocalDiskStorage]
    assert load_builtin_plugins().storage_backends["local"].provider is LocalDiskStorage


def test_satisfies_the_protocol(backend: LocalDiskStorage) -> None:
    assert isinstance(backend, StorageBackend)


# --- keys and folders -------------------------------------------------------------------

UNSAFE_KEYS = [
    "../x",
    "/etc/passwd",
    "a/../../b",
    "a/./b",
    "..",
    ".",
    "a\x00b",
    "a//b",
    "a/",
    ".hidden",
    "a/.ssh/id",
    "a\\..\\b",
    "with space",
    "caf\u00e9",
    "x" * 501,
    "",
]


@pytest.mark.parametrize("bad_key", UNSAFE_KEYS)
async def test_unsafe_keys_refused_and_nothing_written(
    backend: LocalDiskStorage, tmp_path: Path, bad_key: str
) -> None:
    before = files_under(tmp_path)
    with pytest.raises(InvalidKey):
        await backend.begin(bad_key)
    forged = {"partial": "0" * 32, "key": bad_key}
    with pytest.raises(InvalidKey):
        await backend.append(bad_key, forged, 0, chunks_of(b"payload"))
    with pytest.raises(InvalidKey):
        await backend.complete(bad_key, forged)
    with pytest.raises(InvalidKey):
        await read_all(backend, bad_key)
    with pytest.raises(InvalidKey):
        await backend.delete(bad_key)
    assert files_under(tmp_path) == before


def test_longest_key_accepted() -> None:
    local.check_key("/".join(["a" * 99] * 5))  # 499 characters
    local.check_key("x" * 255)
    with pytest.raises(InvalidKey):
        local.check_key("x" * 256)  # longer than a file name may be


@pytest.mark.parametrize(
    "state",
    [
        {"partial": "../../../escape", "key": "k"},
        {"partial": "/etc/passwd", "key": "k"},
        {"partial": "0" * 32, "key": "another-key"},
        {"partial": 42, "key": "k"},
        {},
    ],
)
async def test_forged_upload_state_refused(
    backend: LocalDiskStorage, tmp_path: Path, state: dict[str, object]
) -> None:
    before = files_under(tmp_path)
    with pytest.raises(StorageError):
        await backend.append("k", state, 0, chunks_of(b"payload"))
    with pytest.raises(StorageError):
        await backend.complete("k", state)
    with pytest.raises(StorageError):
        await backend.abort("k", state)
    assert files_under(tmp_path) == before


async def test_layout_and_permissions(backend: LocalDiskStorage, storage_dir: Path) -> None:
    state = await backend.begin("2024/case-1/photo.jpg")
    partial = storage_dir / "demo" / "partial" / state["partial"]
    await backend.append("2024/case-1/photo.jpg", state, 0, chunks_of(b"jpeg bytes"))
    assert stat.S_IMODE(partial.stat().st_mode) == 0o600

    await backend.complete("2024/case-1/photo.jpg", state)
    final = storage_dir / "demo" / "objects" / "2024" / "case-1" / "photo.jpg"
    assert final.read_bytes() == b"jpeg bytes"
    assert stat.S_IMODE(final.stat().st_mode) == 0o444
    assert not partial.exists()
    assert list(partial.parent.iterdir()) == []
    for folder in [storage_dir, *[d for d in storage_dir.rglob("*") if d.is_dir()]]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_forces_are_kept_apart(tmp_path: Path, storage_dir: Path) -> None:
    demo = LocalDiskStorage(make_context(tmp_path, DEMO))
    other = LocalDiskStorage(make_context(tmp_path, OTHER))
    await store(demo, "item/1", b"demo evidence")
    await store(other, "item/1", b"other evidence")
    await store(demo, "item/2", b"only demo has this")

    assert await read_all(demo, "item/1") == b"demo evidence"
    assert await read_all(other, "item/1") == b"other evidence"
    with pytest.raises(ObjectNotFound):
        await other.stat("item/2")
    assert {p.relative_to(storage_dir).as_posix() for p in files_under(storage_dir)} == {
        "demo/objects/item/1",
        "demo/objects/item/2",
        "other/objects/item/1",
    }


async def test_key_running_through_an_object_refused(backend: LocalDiskStorage) -> None:
    await store(backend, "a", b"a file")
    state = await backend.begin("a/b")
    await backend.append("a/b", state, 0, chunks_of(b"x"))
    with pytest.raises(StorageError):
        await backend.complete("a/b", state)
    assert await read_all(backend, "a") == b"a file"


# --- durability and resumption ----------------------------------------------------------


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The descriptors the store fsyncs data on, in order."""
    calls: list[int] = []
    real_sync = local._datasync

    def spy(fd: int) -> None:
        calls.append(fd)
        real_sync(fd)

    monkeypatch.setattr(local, "_datasync", spy)
    return calls


async def test_broken_stream_keeps_every_byte_received(
    backend: LocalDiskStorage, storage_dir: Path, synced: list[int]
) -> None:
    data = sample_bytes(2 * MiB, seed=20)
    state = await backend.begin("k")
    with pytest.raises(StreamBroken):
        await backend.append("k", state, 0, breaking_stream(data, 1_234_567, chunk_size=10_000))
    assert synced, "bytes kept after a broken stream must be fsynced"
    assert await backend.size("k", state) == 1_234_567
    partial = storage_dir / "demo" / "partial" / state["partial"]
    assert partial.read_bytes() == data[:1_234_567]


async def test_append_syncs_before_returning(backend: LocalDiskStorage, synced: list[int]) -> None:
    state = await backend.begin("k")
    await backend.append("k", state, 0, chunks_of(b"abc"))
    assert len(synced) == 1


async def test_wrong_offset_does_not_consume_the_stream(backend: LocalDiskStorage) -> None:
    pulled = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b"never written"

    state = await backend.begin("k")
    with pytest.raises(StorageError):
        await backend.append("k", state, 10, counted())
    assert pulled == 0
    assert await backend.size("k", state) == 0


async def test_cancelled_append_keeps_bytes_and_releases_the_lock(
    backend: LocalDiskStorage,
) -> None:
    stalled = asyncio.Event()

    async def stalls_after_two_chunks() -> AsyncIterator[bytes]:
        yield b"a" * 700_000
        yield b"b" * 700_000
        stalled.set()
        await asyncio.Event().wait()
        yield b"never"

    state = await backend.begin("k")
    task = asyncio.create_task(backend.append("k", state, 0, stalls_after_two_chunks()))
    await stalled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await backend.size("k", state) == 1_400_000
    size, state = await backend.append("k", state, 1_400_000, chunks_of(b"c"))
    assert size == 1_400_001
    result = await backend.complete("k", state)
    assert result == stored("k", b"a" * 700_000 + b"b" * 700_000 + b"c")


async def test_abort_and_complete_refused_while_an_append_runs(backend: LocalDiskStorage) -> None:
    holding, release = asyncio.Event(), asyncio.Event()

    async def held() -> AsyncIterator[bytes]:
        yield b"first"
        holding.set()
        await release.wait()
        yield b"second"

    state = await backend.begin("k")
    task = asyncio.create_task(backend.append("k", state, 0, held()))
    await holding.wait()
    try:
        with pytest.raises(UploadBusy):
            await backend.abort("k", state)
        with pytest.raises(UploadBusy):
            await backend.complete("k", state)
    finally:
        release.set()
    assert await task == (11, state)
    assert completed(await backend.complete("k", state), "k", b"firstsecond")


async def test_complete_finishes_after_a_crash_between_link_and_unlink(
    backend: LocalDiskStorage, storage_dir: Path
) -> None:
    state = await backend.begin("k")
    await backend.append("k", state, 0, chunks_of(b"evidence"))
    partial = storage_dir / "demo" / "partial" / state["partial"]
    (storage_dir / "demo" / "objects").mkdir(mode=0o700)
    os.link(partial, storage_dir / "demo" / "objects" / "k")  # as if complete died here
    assert completed(await backend.complete("k", state), "k", b"evidence")
    assert not partial.exists()


async def test_complete_repeated_after_publishing_returns_the_object(
    backend: LocalDiskStorage,
) -> None:
    """A process that published the object and died before recording the item retries."""
    state = await backend.begin("k")
    await backend.append("k", state, 0, chunks_of(b"evidence"))
    assert completed(await backend.complete("k", state), "k", b"evidence")
    assert completed(await backend.complete("k", state), "k", b"evidence")


async def test_complete_of_a_discarded_upload_is_refused_though_another_took_its_key(
    backend: LocalDiskStorage,
) -> None:
    first = await backend.begin("k")
    await backend.append("k", first, 0, chunks_of(b"first"))
    await backend.abort("k", first)
    second = await backend.begin("k")
    await backend.append("k", second, 0, chunks_of(b"second"))
    await backend.complete("k", second)
    with pytest.raises(ObjectNotFound):
        await backend.complete("k", first)


async def test_delete_removes_the_read_only_file(
    backend: LocalDiskStorage, storage_dir: Path
) -> None:
    await store(backend, "k", b"x")
    await backend.delete("k")
    assert not (storage_dir / "demo" / "objects" / "k").exists()


# --- bounded memory ---------------------------------------------------------------------


async def test_hundred_megabytes_in_bounded_memory(backend: LocalDiskStorage) -> None:
    block = sample_bytes(MiB, seed=30)
    blocks = 100
    expected = hashlib.sha256()
    for _ in range(blocks):
        expected.update(block)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(blocks):
            yield block

    tracemalloc.start()
    try:
        state = await backend.begin("big")
        size, state = await backend.append("big", state, 0, body())
        result = await backend.complete("big", state)
        read = 0
        async for chunk in backend.read("big"):
            read += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result == StoredObject("big", blocks * MiB, expected.hexdigest())
    assert size == read == blocks * MiB
    assert peak < 20 * MiB, f"peak {peak / MiB:.1f} MiB"


async def _stream(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_the_hash_is_right_when_another_process_appended_in_between(
    backend: LocalDiskStorage,
) -> None:
    """The running hash covers only this process's appends; a gap makes complete re-read."""
    first, theirs, last = b"a" * 1000, b"b" * 500, b"c" * 700
    state = await backend.begin("gap/object")
    size, state = await backend.append("gap/object", state, 0, _stream(first))
    with backend._partial_path("gap/object", state).open("ab") as other_process:
        other_process.write(theirs)
    size, state = await backend.append("gap/object", state, size + len(theirs), _stream(last))
    stored = await backend.complete("gap/object", state)
    assert stored.sha256 == hashlib.sha256(first + theirs + last).hexdigest()


async def test_the_hash_is_right_after_a_truncated_chunk(backend: LocalDiskStorage) -> None:
    state = await backend.begin("cut/object")
    size, state = await backend.append("cut/object", state, 0, _stream(b"x" * 4000))
    await backend.append("cut/object", state, size, _stream(b"bad chunk"))
    state = await backend.truncate("cut/object", state, size)
    await backend.append("cut/object", state, size, _stream(b"good chunk"))
    stored = await backend.complete("cut/object", state)
    assert stored.sha256 == hashlib.sha256(b"x" * 4000 + b"good chunk").hexdigest()
