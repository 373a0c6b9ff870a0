"""Odd or hostile metadata in a file that decodes costs neither its analysis nor the record.

A photo or video whose pictures decode must get its previews even when a tag is malformed,
and nothing a file says may reach the database as something a JSON column refuses (NaN,
infinity) or as unbounded text. The derivatives' parameters must say what was really done.
"""

import io
import struct
from pathlib import Path

from PIL import Image, TiffImagePlugin

from exhibit.platform import Platform
from exhibit_media_tools import video
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome, stored_bytes, submit


def _raw_exif(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A little-endian EXIF block with one IFD of ``(tag, type, count, 4-byte value)``."""
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(struct.pack("<HHI", tag, kind, n) + value for tag, kind, n, value in entries)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)


def _jpeg(picture: Image.Image, exif: bytes) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def _zero_denominator_gps() -> Image.Exif:
    exif = media.exif()
    position = exif.get_ifd(media.GPS_IFD)
    nothing = TiffImagePlugin.IFDRational(0, 1)
    position[2] = (TiffImagePlugin.IFDRational(51, 0), nothing, nothing)  # reads as NaN
    return exif


async def test_photos_with_malformed_tags_are_analysed_and_recorded(
    media_platform: Platform, scene: Scene
) -> None:
    files = {
        # Orientation written as ASCII text: int("six") used to fail the whole analysis.
        "text_orientation.jpg": _jpeg(
            media.scene(800, 600), _raw_exif([(0x0112, 2, 4, b"six\x00")])
        ),
        # A GPS rational with a zero denominator: NaN, which PostgreSQL's JSON refuses.
        "nan_gps.jpg": media.photo(media.scene(), "JPEG", _zero_denominator_gps(), quality=95),
        # Mirrored and turned a quarter: the metadata must say so, as the thumbnail does.
        "transverse.jpg": media.photo(
            media.scene(800, 600), "JPEG", media.exif(orientation=7), quality=95
        ),
        "transpose.jpg": media.photo(
            media.scene(800, 600), "JPEG", media.exif(orientation=5), quality=95
        ),
        # Make with a NUL inside: EXIF ASCII ends at the first NUL.
        "nul_make.jpg": _jpeg(media.scene(), _raw_exif([(0x010F, 2, 4, b"AB\x00C")])),
    }
    ids = {name: await submit(media_platform, scene, data, name) for name, data in files.items()}
    await drain(media_platform)

    results = {name: await outcome(media_platform, scene.force_id, i) for name, i in ids.items()}
    for name, result in results.items():
        assert [r.status for r in result.runs] == ["succeeded"], (name, result.runs)
        assert [d.kind for d in result.derivatives] == ["thumbnail"], name
        assert result.derivatives[0].parameters["resample"] == "LANCZOS"

    text = results["text_orientation.jpg"].item.capture_metadata
    assert (text["orientation"], text["rotation"], text["mirrored"]) == (1, 0, False)

    nan = results["nan_gps.jpg"].item.capture_metadata
    assert "gps" not in nan
    assert nan["make"] == "Apple"  # the rest of the metadata is still there

    for name, rotation in (("transverse.jpg", 90), ("transpose.jpg", 270)):
        meta = results[name].item.capture_metadata
        assert (meta["rotation"], meta["mirrored"]) == (rotation, True), name
        (thumb,) = results[name].derivatives
        data = await stored_bytes(media_platform, scene.force_id, thumb.storage_key)
        upright = Image.open(io.BytesIO(data))
        assert upright.height > upright.width, name  # turned as the metadata says

    assert results["nul_make.jpg"].item.capture_metadata["make"] == "AB"


async def test_a_video_with_undecodable_and_outsized_tags_is_analysed_and_recorded(
    media_platform: Platform, scene: Scene, tmp_path: Path
) -> None:
    tags = {
        "make": "QQQQQQQQ",
        "location": "+51.5007-000.1246+" + "9" * 400 + "/",  # altitude: infinity
        "com.apple.quicktime.creationdate": "2026-11-20T21:15:30Z" + "x" * 50_000,
    }
    clip = media.video(
        tmp_path / "tags.mkv",
        fmt="matroska",
        codec="libvpx-vp9",
        audio_codec="libopus",
        seconds=0.5,
        metadata=tags,
    )
    # Not UTF-8: PyAV raised UnicodeDecodeError on reading the tags, failing the analysis.
    clip = clip.replace(b"QQQQQQQQ", b"\xff\xfeQQQQQQ")
    item_id = await submit(media_platform, scene, clip, "clip.mkv")
    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    assert {r.processor: r.status for r in result.runs} == {
        "media_tools": "succeeded",
        "media_tools_proxy": "succeeded",  # VP9/Opus WebM plays as is: no proxy needed
    }, result.runs
    assert [d.kind for d in result.derivatives] == ["poster"]
    meta = result.item.capture_metadata
    assert meta["gps"] == {"latitude": 51.5007, "longitude": -0.1246}
    assert meta["make"].endswith("QQQQQQ")
    assert len(meta["capture_time"]) <= video.MAX_TEXT
    assert all(len(finding) < 1000 for finding in meta.get("findings", []))


def test_a_rotation_that_is_not_a_quarter_turn_is_snapped_to_one(tmp_path: Path) -> None:
    """The proxy can only apply quarter turns: the recorded rotation must be one of them."""
    path = tmp_path / "tilted.mp4"
    media.video(path, seconds=0.2, rotation=80, audio_codec=None)
    with video.open_media(path) as container:
        metadata = video.av_metadata(container)
    assert metadata["rotation"] == 270  # 80 degrees counter-clockwise: a quarter turn back
