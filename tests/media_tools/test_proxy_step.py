"""The proxy is a step of its own: its failure, time-out or refusal costs the analysis nothing."""

from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_transaction
from exhibit.media.models import MediaHash
from exhibit.platform import Platform
from exhibit_media_tools import work
from exhibit_media_tools.config import Config
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import Outcome, drain, outcome, submit


async def _configure(platform: Platform, scene: Scene, config: dict[str, object]) -> None:
    async with force_transaction(platform, scene.force_id) as tx:
        await configure_plugin(
            tx.session,
            platform.plugins,
            platform.secret_box,
            scene.force_id,
            "media_tools",
            enabled=True,
            config={"thumbnail_size": 320, "proxy_height": 240, **config},
            actor="test",
        )


def _wide_video(path: Path, width: int = 20000, height: int = 2, codec: str = "ffv1") -> bytes:
    """A lossless Matroska video (FFV1 by default) far wider than x264 can encode."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream(codec, rate=10)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        ramp = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
        for index in range(5):
            pixels = np.stack([np.roll(ramp, index * 50, axis=1)] * 3, axis=-1)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(stream.encode(None))
    return path.read_bytes()


def _steps(result: Outcome) -> dict[str, tuple[str, str]]:
    return {run.processor: (run.status, run.error) for run in result.runs}


async def _hashes(platform: Platform, scene: Scene, item_id: int) -> list[MediaHash]:
    async with platform.force_session(scene.force_id) as session:
        return list(await session.scalars(select(MediaHash).where(MediaHash.item_id == item_id)))


async def _failures(platform: Platform, scene: Scene, item_id: int) -> list[str]:
    async with platform.force_session(scene.force_id) as session:
        return list(
            await session.scalars(
                select(AuditEvent.reason).where(
                    AuditEvent.action == "media.processing_failed",
                    AuditEvent.object_id == str(item_id),
                )
            )
        )


async def test_a_proxy_out_of_time_keeps_metadata_poster_and_hashes(
    media_platform: Platform, scene: Scene, tmp_path: Path
) -> None:
    await _configure(media_platform, scene, {"proxy_max_seconds": 0.01})
    # A phone held upright: the rotation means a proxy is always needed.
    clip = media.video(tmp_path / "portrait.mp4", seconds=2.0, size=(640, 480), rotation=90)
    item_id = await submit(media_platform, scene, clip, "IMG_0400.MP4")
    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    steps = _steps(result)
    assert steps["media_tools"] == ("succeeded", "")
    status, error = steps["media_tools_proxy"]
    assert status == "failed"
    assert error.startswith("no proxy: ") and "longer than" in error, error
    assert [d.kind for d in result.derivatives] == ["poster"]
    (poster,) = result.derivatives
    assert (poster.processor, poster.tool) == ("media_tools 1.0", "PyAV")
    assert poster.parameters["orientation_applied"] in (90, 270)
    assert poster.parameters["library_versions"]["libavcodec"]
    meta = result.item.capture_metadata
    assert (meta["width"], meta["height"]) == (640, 480) and meta["rotation"] in (90, 270)
    assert 1.9 < meta["duration_seconds"] < 2.2
    assert await _hashes(media_platform, scene, item_id)
    assert await _failures(media_platform, scene, item_id) == [error]


async def test_a_proxy_x264_cannot_encode_is_refused_with_its_reason(
    media_platform: Platform, scene: Scene, tmp_path: Path
) -> None:
    item_id = await submit(media_platform, scene, _wide_video(tmp_path / "wide.mkv"), "wide.mkv")
    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    steps = _steps(result)
    assert steps["media_tools"] == ("succeeded", "")
    assert steps["media_tools_proxy"] == (
        "failed",
        "no proxy: it would be 20000x2 pixels and x264 encodes at most 16384 pixels a side",
    )
    assert [d.kind for d in result.derivatives] == ["poster"]
    meta = result.item.capture_metadata
    assert (meta["video_codec"], meta["width"], meta["height"]) == ("ffv1", 20000, 2)
    assert await _hashes(media_platform, scene, item_id)


def test_the_refusal_comes_before_any_attempt(tmp_path: Path) -> None:
    wide, tall = tmp_path / "wide", tmp_path / "tall"
    wide.write_bytes(_wide_video(tmp_path / "wide.mkv"))
    tall.write_bytes(_wide_video(tmp_path / "tall.mkv", width=2, height=20000, codec="rawvideo"))
    plan = work.plan_proxy(wide, {"proxy_height": 480})
    assert plan["needed"] and "20000x2 pixels" in plan["refused"]
    # Scaled down to 480 lines, the tall one is 2x480: that proxy can be made...
    assert work.plan_proxy(tall, {"proxy_height": 480})["refused"] is None
    # ...but not at 20000 lines, and the proxy run refuses it before opening an encoder.
    assert "2x20000 pixels" in work.plan_proxy(tall, {"proxy_height": 20000})["refused"]
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match="x264 encodes at most 16384 pixels a side"):
        work.proxy(tall, out, {"proxy_height": 20000})
    assert list(out.iterdir()) == []  # no file begun


@pytest.mark.parametrize(
    ("duration", "wall", "cpu"),
    [
        (0.0, 600.0, 500),
        (15 * 60.0, 600.0 + 15 * 120.0, 500 + 15 * 120),  # a 15-minute phone video
        (10 * 3600.0, 7200.0, 7200),  # the ceiling
        (None, 7200.0, 7200),  # a file that does not say how long it plays
        (-5.0, 600.0, 500),  # nor can a hostile one shorten the limit below the usual
    ],
)
def test_the_proxy_time_limit_grows_with_the_duration(
    duration: float | None, wall: float, cpu: int
) -> None:
    limits = Config().proxy_limits(duration)
    assert (limits.wall_seconds, limits.cpu_seconds) == (wall, cpu)
    assert limits.memory_bytes == Config().limits().memory_bytes
