"""The sandbox helper: one long-lived process per worker, a fresh limited child per file."""

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from exhibit_media_tools.sandbox import Limits, SandboxFailed, helper_pid, run_sandboxed
from tests.media_tools import hostile, media

ALLOWED_ENVIRONMENT = {
    "PATH",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENCV_FOR_THREADS_NUM",
}


def _request(folder: Path, data: bytes, name: str) -> dict[str, Any]:
    source = folder / f"{name}.original"
    source.write_bytes(data)
    out = folder / name
    out.mkdir()
    return {
        "op": "analyse",
        "input": str(source),
        "workdir": str(out),
        "options": {"thumbnail_size": 100, "proxy_height": 100},
    }


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


async def _eventually(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` for up to 5 s (another process's state has no event to wait on)."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.05)


async def _photo_answer(folder: Path, name: str) -> dict[str, Any]:
    photo = media.photo(media.scene(), "JPEG", media.exif(), quality=90)
    return await run_sandboxed(_request(folder, photo, name), Limits())


async def test_limits_belong_to_one_child_and_the_helper_survives_a_limit_hit(
    tmp_path: Path,
) -> None:
    await _photo_answer(tmp_path, "first")
    helper = helper_pid()
    assert helper is not None

    bomb = _request(tmp_path, hostile.png_bomb(7_000, 7_000), "bomb")
    with pytest.raises(SandboxFailed, match="memory"):
        await run_sandboxed(bomb, Limits(memory_bytes=520 * 1024 * 1024))
    answer = await _photo_answer(tmp_path, "after")  # the tight limit did not stay behind

    assert answer["metadata"]["make"] == "Apple"
    assert Path(answer["derivatives"][0]["path"]).parent == tmp_path / "after"
    assert helper_pid() == helper


async def test_a_hung_child_is_killed_with_its_group_and_the_helper_goes_on(
    tmp_path: Path,
) -> None:
    await _photo_answer(tmp_path, "warm")
    helper = helper_pid()
    assert helper is not None
    slow = _request(tmp_path, hostile.png_bomb(7_000, 7_000), "slow")  # ~1 s of decoding

    with pytest.raises(SandboxFailed, match="longer than"):
        await run_sandboxed(slow, Limits(wall_seconds=0.05))

    await _eventually(lambda: not _children_of(helper))
    assert _children_of(helper) == []  # reaped
    assert list((tmp_path / "slow").iterdir()) == []  # killed: it never got to write a thumbnail
    assert (await _photo_answer(tmp_path, "next"))["derivatives"]
    assert helper_pid() == helper


async def test_files_run_side_by_side_in_separate_children(tmp_path: Path) -> None:
    answers = await asyncio.gather(*(_photo_answer(tmp_path, f"photo-{n}") for n in range(3)))

    folders = {Path(a["derivatives"][0]["path"]).parent.name for a in answers}
    assert folders == {"photo-0", "photo-1", "photo-2"}


async def test_a_helper_that_died_is_replaced(tmp_path: Path) -> None:
    await _photo_answer(tmp_path, "before")
    helper = helper_pid()
    assert helper is not None

    os.kill(helper, signal.SIGKILL)
    await _eventually(lambda: helper_pid() != helper)
    answer = await _photo_answer(tmp_path, "after")

    assert answer["metadata"]["make"] == "Apple"
    assert helper_pid() not in (None, helper)


async def test_the_helper_and_its_children_see_no_worker_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXHIBIT_DATABASE_URL", "postgresql://exhibit:secret@db/exhibit")
    await _photo_answer(tmp_path, "photo")
    helper = helper_pid()
    assert helper is not None

    names = {
        entry.split(b"=", 1)[0].decode()
        for entry in Path(f"/proc/{helper}/environ").read_bytes().split(b"\0")
        if entry
    }

    assert names <= ALLOWED_ENVIRONMENT
    assert "OPENBLAS_NUM_THREADS" in names


async def test_a_child_may_not_write_more_than_its_file_size_limit(tmp_path: Path) -> None:
    photo = media.photo(media.scene(), "JPEG", media.exif(), quality=90)
    request = _request(tmp_path, photo, "small")

    with pytest.raises(SandboxFailed, match="larger than allowed"):
        await run_sandboxed(request, Limits(file_bytes=512))
    answer = await run_sandboxed(_request(tmp_path, photo, "normal"), Limits())

    assert Path(answer["derivatives"][0]["path"]).stat().st_size > 512
