"""Hostile files end as recorded errors within the limits, and the worker carries on."""

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.jobs.models import Job, JobStatus
from exhibit.platform import Platform
from exhibit_media_tools import video
from exhibit_media_tools.sandbox import Limits, SandboxFailed, run_sandboxed
from tests.fixtures.witness import Scene
from tests.media_tools import hostile, media
from tests.media_tools.conftest import drain, outcome, planted, submit


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_peer() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it gets."""
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Counter.hits
    server.shutdown()


async def test_hostile_files_are_recorded_errors_and_the_worker_goes_on(
    media_platform: Platform, scene: Scene, tmp_path: Path, http_peer: tuple[str, list[str]]
) -> None:
    base_url, hits = http_peer
    clip = media.video(tmp_path / "whole.mp4", seconds=1.0)
    photo = media.photo(media.scene(), "JPEG", media.exif(), quality=95)
    cases = {
        "bomb": (hostile.png_bomb(12_000, 12_000), "image/png", "pixels"),
        "truncated mp4": (clip[: len(clip) // 2], "video/mp4", "Error"),
        "truncated jpeg": (photo[: len(photo) // 2], "image/jpeg", "truncated"),
        "empty": (b"", "video/mp4", "empty"),
        "hls": (hostile.hls_playlist(f"{base_url}/segment.ts"), "video/mp4", "container"),
        "concat": (hostile.ffconcat("/etc/passwd"), "video/mp4", "container"),
    }
    ids = {
        name: await planted(media_platform, scene, data, sniffed)
        for name, (data, sniffed, _) in cases.items()
    }
    good = await submit(media_platform, scene, photo, "IMG_0001.JPG")

    await asyncio.wait_for(drain(media_platform), timeout=300)

    for name, (_, _, expected) in cases.items():
        result = await outcome(media_platform, scene.force_id, ids[name])
        (run,) = result.runs
        assert run.status == "failed", name
        assert expected in run.error, (name, run.error)
        assert result.derivatives == [], name
    assert [r.status for r in (await outcome(media_platform, scene.force_id, good)).runs] == [
        "succeeded"
    ]
    assert hits == []  # the playlist's URL was never fetched
    async with media_platform.force_session(scene.force_id) as session:
        jobs = list(await session.scalars(select(Job).where(Job.kind == "media.process")))
        failures = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "media.processing_failed")
            )
        )
    assert {job.status for job in jobs} == {JobStatus.SUCCEEDED}  # recorded, not retried
    assert len(failures) == len(cases)


async def test_playlists_disguised_as_video_are_refused_by_the_ingest_check_too(
    media_platform: Platform, scene: Scene
) -> None:
    item_id = await submit(
        media_platform, scene, hostile.hls_playlist("http://127.0.0.1:9/a.ts"), "clip.mp4"
    )
    await drain(media_platform)
    result = await outcome(media_platform, scene.force_id, item_id)
    assert result.item.review_state.value == "quarantined"
    assert result.runs == []  # quarantined files are not handed to a decoder


def test_a_demuxer_that_tries_to_open_another_file_is_stopped(tmp_path: Path) -> None:
    listing = tmp_path / "list.ffconcat"
    listing.write_bytes(hostile.ffconcat("/etc/passwd"))
    with listing.open("rb") as handle, pytest.raises((video.NestedOpenRefused, av.FFmpegError)):
        container = av.open(
            handle, "r", format="concat", io_open=video._refuse_nested_open, options={"safe": "0"}
        )
        for _ in container.demux():
            pass


async def test_a_run_past_its_wall_clock_limit_is_stopped(tmp_path: Path) -> None:
    source = tmp_path / "original"
    source.write_bytes(hostile.png_bomb(7_000, 7_000))  # a second or so to decode
    (tmp_path / "out").mkdir()
    request = {
        "op": "analyse",
        "input": str(source),
        "workdir": str(tmp_path / "out"),
        "options": {"thumbnail_size": 100, "proxy_height": 100},
    }
    with pytest.raises(SandboxFailed, match="longer than"):
        await run_sandboxed(request, Limits(wall_seconds=0.05))
    assert list((tmp_path / "out").iterdir()) == []  # stopped before it wrote anything


async def test_a_run_over_its_memory_limit_fails_cleanly(tmp_path: Path) -> None:
    source = tmp_path / "original"
    source.write_bytes(hostile.png_bomb(7_000, 7_000))  # 49 Mpx: allowed, but needs memory
    (tmp_path / "out").mkdir()
    request = {
        "op": "analyse",
        "input": str(source),
        "workdir": str(tmp_path / "out"),
        "options": {"thumbnail_size": 100, "proxy_height": 100},
    }
    with pytest.raises(SandboxFailed, match="memory"):
        await run_sandboxed(request, Limits(memory_bytes=520 * 1024 * 1024))


def _damaged_in_the_middle(clip: bytes) -> bytes:
    """The clip with 3,000 bytes a third of the way in scrambled (a bad copy, a bad card)."""
    damaged = bytearray(clip)
    start = len(clip) // 3
    for index in range(start, start + 3000):
        damaged[index] = (damaged[index] * 7 + 13) & 0xFF
    return bytes(damaged)


async def test_a_video_damaged_in_the_middle_still_gets_its_poster_and_proxy(
    media_platform: Platform, scene: Scene, tmp_path: Path
) -> None:
    clip = media.video(tmp_path / "clip.mp4", seconds=3.0, rotation=90)  # needs a proxy
    item_id = await submit(media_platform, scene, _damaged_in_the_middle(clip), "VID_0001.mp4")

    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    assert {r.processor: (r.status, r.error) for r in result.runs} == {
        "media_tools": ("succeeded", ""),
        "media_tools_proxy": ("succeeded", ""),
    }
    assert 2.9 < result.item.capture_metadata["duration_seconds"] < 3.2
    made = {d.kind: d for d in result.derivatives}
    assert set(made) == {"poster", "proxy"}
    # the court is told that frames were lost, and how many packets
    assert made["proxy"].parameters["undecodable_packets_skipped"] > 0
    assert made["poster"].parameters["undecodable_packets_skipped"] > 0
