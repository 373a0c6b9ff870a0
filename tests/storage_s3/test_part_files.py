"""Part files reused from one part to the next (``exhibit_storage_s3.writer``).

A part waits for S3 in a temporary file, and once it has landed the file is kept for a
later part to overwrite. A later part shorter than the file's last one must not carry the
earlier bytes along: neither when sent as a part nor when staged as an upload's tail.
"""

from collections.abc import Callable

import pytest

from exhibit.testing.storage_contract import MiB, chunks_of, completed, read_all, sample_bytes
from exhibit_storage_s3 import writer
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config


@pytest.mark.asyncio
async def test_a_spare_part_file_holds_only_the_new_bytes(
    bucket: str, make_config: Callable[..., Config], make_backend: Callable[[Config], S3Storage]
) -> None:
    store = make_backend(make_config(bucket))  # 5 MiB parts
    first_key, second_key = "originals/1/first", "originals/1/second"
    first = sample_bytes(10 * MiB, seed=130)
    state = await store.begin(first_key)
    _, state = await store.append(first_key, state, 0, chunks_of(first))
    assert completed(await store.complete(first_key, state), first_key, first)
    assert writer._spare_files  # the two parts' files, full of the first upload's bytes

    # A short append: its bytes go into a spare file and are staged as the tail.
    second = sample_bytes(7 * MiB + 3, seed=131)
    state = await store.begin(second_key)
    size, state = await store.append(second_key, state, 0, chunks_of(second[: 2 * MiB + 3]))
    assert size == await store.size(second_key, state) == 2 * MiB + 3
    # The tail joins the next bytes in a spare file, sent as a whole part, then a short one.
    size, state = await store.append(second_key, state, size, chunks_of(second[size:]))
    assert size == len(second)
    assert completed(await store.complete(second_key, state), second_key, second)
    assert await read_all(store, second_key) == second
    assert await read_all(store, first_key) == first


def test_spare_part_files_are_bounded_and_never_shared() -> None:
    # More spools than spares: they take every spare there was, so none is left over.
    spools = [writer._Spool() for _ in range(writer.SPARE_FILES + 3)]
    files = [spool.file for spool in spools]
    spools[0].close()
    spools[0].close()  # a second close gives nothing back twice
    for spool in spools[1:]:
        spool.close()
    assert writer._spare_files == files[: writer.SPARE_FILES]
    assert all(file.closed for file in files[writer.SPARE_FILES :])
    # Each spare goes to one spool only; once they are taken, a spool gets a new file.
    taken = [writer._Spool() for _ in range(writer.SPARE_FILES + 1)]
    assert {id(spool.file) for spool in taken[:-1]} == {id(file) for file in files[:-3]}
    assert all(taken[-1].file is not file for file in files)
    for spool in taken:
        spool.close()
