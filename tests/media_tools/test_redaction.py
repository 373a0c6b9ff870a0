"""Redacted and disclosure copies: faces blurred, metadata gone, provenance complete."""

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
from PIL import Image
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit_media_tools.redaction_job import queue_redaction
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome, stored_bytes, submit

OFFICER_BOX = (450, 300, 120, 100)
LOCATION = {"location": "+51.5007-000.1246/", "creation_time": "2026-11-20T21:15:30Z"}


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def _region(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    left, top, width, height = box
    return pixels[top : top + height, left : left + width]


async def test_faces_and_drawn_areas_are_blurred_and_metadata_removed(
    media_platform: Platform, scene: Scene
) -> None:
    original = media.photo(media.face_scene(), "JPEG", media.exif(), quality=95)
    item_id = await submit(media_platform, scene, original, "IMG_0100.JPG")
    await drain(media_platform)
    async with force_transaction(media_platform, scene.force_id) as tx:
        await queue_redaction(
            tx.session,
            item_id,
            actor=f"user:{scene.officer_id}",
            reason="disclosure to the defence",
            boxes=[OFFICER_BOX],
            detect_faces=True,
            disclosure=True,
        )
    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    copies = {d.kind: d for d in result.derivatives}
    assert {"thumbnail", "redacted", "disclosure"} <= set(copies)
    redacted = copies["redacted"]
    assert redacted.parameters["detected_faces"], "the cascade should find the drawn face"
    assert redacted.parameters["officer_boxes"] == [list(OFFICER_BOX)]
    assert redacted.input_sha256 == result.item.sha256
    assert redacted.reason == "disclosure to the defence"
    assert "opencv 4." in redacted.tool_version and "Pillow" in redacted.tool_version
    assert redacted.parameters["library_versions"]["opencv"].startswith("4.")

    before = _pixels(original)
    after = _pixels(await stored_bytes(media_platform, scene.force_id, redacted.storage_key))
    face = tuple(redacted.parameters["detected_faces"][0])
    assert np.abs(_region(before, face) - _region(after, face)).mean() > 8
    assert np.abs(_region(before, OFFICER_BOX) - _region(after, OFFICER_BOX)).mean() > 3
    untouched = (420, 20, 200, 200)  # away from the face and the officer's box
    assert np.abs(_region(before, untouched) - _region(after, untouched)).mean() < 2

    disclosure = await stored_bytes(
        media_platform, scene.force_id, copies["disclosure"].storage_key
    )
    exif = Image.open(io.BytesIO(disclosure)).getexif()
    assert 0x010F not in exif and 0x0110 not in exif  # no make or model
    assert exif.get_ifd(0x8825) == {}  # no GPS
    assert exif.get_ifd(0x8769).get(0x9003) == "2026:11:20 21:15:30"  # capture time kept
    assert np.array_equal(_pixels(disclosure), before)  # same picture, byte for byte decoded
    assert await stored_bytes(media_platform, scene.force_id, result.item.storage_key) == original

    async with media_platform.force_session(scene.force_id) as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "derivative.created")
            )
        )
    by_kind = {e.details["kind"]: e for e in events}
    assert by_kind["redacted"].actor == f"user:{scene.officer_id}"
    assert by_kind["redacted"].details["input_sha256"] == result.item.sha256
    assert by_kind["redacted"].details["output_sha256"] == redacted.output_sha256

    async with force_transaction(media_platform, scene.force_id) as tx:  # asked again: no copy
        await queue_redaction(
            tx.session,
            item_id,
            actor="user:1",
            reason="again",
            boxes=[OFFICER_BOX],
            detect_faces=True,
            disclosure=True,
        )
    await drain(media_platform)
    again = await outcome(media_platform, scene.force_id, item_id)
    assert len(again.derivatives) == len(result.derivatives)


async def test_a_video_is_redacted_frame_by_frame_and_disclosed_without_location(
    media_platform: Platform, scene: Scene, tmp_path: Path
) -> None:
    clip = media.face_video(tmp_path / "face.mp4", metadata=LOCATION)
    item_id = await submit(media_platform, scene, clip, "IMG_0300.MP4")
    await drain(media_platform)
    async with force_transaction(media_platform, scene.force_id) as tx:
        await queue_redaction(
            tx.session, item_id, actor=f"user:{scene.officer_id}", reason="disclosure",
            boxes=[OFFICER_BOX], detect_faces=True, disclosure=True,
        )  # fmt: skip
    await drain(media_platform)

    result = await outcome(media_platform, scene.force_id, item_id)
    copies = {d.kind: d for d in result.derivatives}
    redacted = copies["redacted"]
    assert redacted.parameters["face_boxes_blurred"] > 0
    assert redacted.parameters["frames"] == 25
    assert "opencv" in redacted.tool_version and "libavcodec" in redacted.tool_version
    before = _first_frame(clip)
    after = _first_frame(await stored_bytes(media_platform, scene.force_id, redacted.storage_key))
    assert np.abs(_region(before, media.FACE_BOX) - _region(after, media.FACE_BOX)).mean() > 8
    assert np.abs(_region(before, OFFICER_BOX) - _region(after, OFFICER_BOX)).mean() > 3
    untouched = (420, 20, 200, 200)
    assert np.abs(_region(before, untouched) - _region(after, untouched)).mean() < 4

    disclosed = await stored_bytes(media_platform, scene.force_id, copies["disclosure"].storage_key)
    with av.open(io.BytesIO(disclosed)) as container:
        tags = {k.lower() for k in container.metadata}
        assert container.streams.video[0].codec_context.name == "h264"
    assert not tags & {"location", "com.apple.quicktime.location.iso6709", "make", "model"}
    assert np.array_equal(_first_frame(disclosed), before)  # the same pictures, not re-encoded
    with av.open(io.BytesIO(clip)) as container:
        assert "location" in container.metadata


def _first_frame(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data), "r") as container:
        frame = next(container.decode(video=0))
        return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.int16)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


async def _copies(
    platform: Platform, scene: Scene, original: bytes, filename: str, *, redact: bool
) -> dict[str, bytes]:
    """The redacted and/or disclosure copies the job made of an uploaded file, by kind."""
    item_id = await submit(platform, scene, original, filename)
    await drain(platform)
    async with force_transaction(platform, scene.force_id) as tx:
        await queue_redaction(
            tx.session, item_id, actor=f"user:{scene.officer_id}", reason="disclosure",
            boxes=[OFFICER_BOX] if redact else [], detect_faces=False, redact=redact,
            disclosure=True,
        )  # fmt: skip
    await drain(platform)
    result = await outcome(platform, scene.force_id, item_id)
    return {
        d.kind: await stored_bytes(platform, scene.force_id, d.storage_key)
        for d in result.derivatives
        if d.kind in ("redacted", "disclosure")
    }


async def test_copies_keep_no_comment_and_nothing_appended_after_the_picture(
    media_platform: Platform, scene: Scene
) -> None:
    # Phones append more pictures with their own EXIF (MPF gain maps, depth maps) and
    # motion-photo videos after the first picture's end marker.
    appended = media.photo(media.scene(160, 120), "JPEG", media.exif(model="Appended Model"))
    main = io.BytesIO()
    media.face_scene().save(
        main, "JPEG", exif=media.exif().tobytes(), comment=b"Flat 3, 12 Acacia Road", quality=95
    )
    original = main.getvalue() + appended + b"\x00\x00\x00\x18ftypmp42 motion photo"

    copies = await _copies(media_platform, scene, original, "PXL_0001.jpg", redact=True)

    assert set(copies) == {"redacted", "disclosure"}
    for kind, data in copies.items():
        assert b"Acacia Road" not in data, kind
        assert b"Appended Model" not in data and b"motion photo" not in data, kind
        assert b"iPhone" not in data, kind
    disclosure = copies["disclosure"]
    assert disclosure.endswith(b"\xff\xd9")
    assert np.array_equal(_pixels(disclosure), _pixels(main.getvalue()))


async def test_a_png_disclosure_copy_keeps_only_the_picture_chunks(
    media_platform: Platform, scene: Scene
) -> None:
    plain = media.photo(media.scene(), "PNG")
    end = plain.rindex(b"IEND") - 4
    private = _png_chunk(b"prVt", b"device serial 1234567; 51.5007,-0.1246")
    c2pa = _png_chunk(b"caBX", b"jumbf c2pa manifest: Apple iPhone 15, 51.5007,-0.1246")
    original = plain[:end] + private + c2pa + plain[end:] + b"trailing 51.5007"

    copies = await _copies(media_platform, scene, original, "screenshot.png", redact=False)

    disclosure = copies["disclosure"]
    assert b"51.5007" not in disclosure and b"iPhone" not in disclosure
    assert disclosure.endswith(b"IEND\xaeB`\x82")
    assert np.array_equal(_pixels(disclosure), _pixels(original))


async def test_a_disclosure_copy_keeps_orientation_in_exif_other_readers_understand(
    media_platform: Platform, scene: Scene
) -> None:
    original = media.photo(media.scene(800, 600), "JPEG", media.exif(orientation=6), quality=95)

    copies = await _copies(media_platform, scene, original, "IMG_0200.JPG", redact=False)

    disclosure = copies["disclosure"]
    assert disclosure[2:4] == b"\xff\xe1"  # APP1 first, as the copy writes it
    # EXIF: "Exif\0\0" once, then the TIFF header; a second identifier hides the
    # orientation from every reader less forgiving than Pillow (browsers, exiftool).
    assert disclosure[6:12] == b"Exif\x00\x00"
    assert disclosure[12:16] in (b"MM\x00*", b"II*\x00")
    assert Image.open(io.BytesIO(disclosure)).getexif()[0x0112] == 6
