"""Near-duplicate photos are found within a force; signs of a non-original file are recorded."""

from datetime import UTC, datetime

import imagehash
import pytest

from exhibit.media.duplicates import hamming, near_duplicates
from exhibit.platform import Platform
from exhibit_media_tools.images import perceptual_hash
from exhibit_media_tools.originality import findings
from tests.fixtures.witness import Scene
from tests.media_tools import media
from tests.media_tools.conftest import drain, outcome, submit


async def test_two_witnesses_sending_the_same_scene_are_matched(
    media_platform: Platform, scene: Scene
) -> None:
    picture = media.scene(800, 600, seed=1)
    camera = media.photo(picture, "JPEG", media.exif(make="samsung", model="SM-S918B"), quality=95)
    first = await submit(media_platform, scene, camera, "20261120_211530.jpg")
    resent = media.photo(picture.resize((640, 480)), "JPEG", None, quality=60)
    second = await submit(media_platform, scene, resent, "IMG-20261120-WA0001.jpg")
    other = await submit(
        media_platform, scene, media.photo(media.scene(800, 600, seed=9), "PNG"), "b.png"
    )
    await drain(media_platform)

    async with media_platform.force_session(scene.force_id) as session:
        matches = await near_duplicates(session, first)
        unrelated = await near_duplicates(session, other)
    assert [m.item_id for m in matches] == [second]
    assert matches[0].distance <= 10
    assert unrelated == []

    (run,) = (await outcome(media_platform, scene.force_id, second)).runs
    codes = {finding.split(":")[0] for finding in run.findings}
    assert {"messaging_app_name", "metadata_stripped", "re_encoded"} <= codes
    item = (await outcome(media_platform, scene.force_id, second)).item
    assert item.capture_metadata["findings"] == run.findings
    (clean,) = (await outcome(media_platform, scene.force_id, first)).runs
    assert clean.findings == []


RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
PHONE_PHOTO = {
    "kind": "photo",
    "format": "JPEG",
    "has_exif": True,
    "make": "Samsung",
    "capture_time": "2026-11-20T21:15:30+00:00",
    "capture_time_zone_known": True,
    "jpeg_quality": 95,
    "has_maker_note": True,
}


@pytest.mark.parametrize(
    ("metadata", "filename", "expected"),
    [
        (PHONE_PHOTO, "20261120_211530.jpg", set()),
        (PHONE_PHOTO, "IMG-20261120-WA0007.jpg", {"messaging_app_name"}),
        (PHONE_PHOTO, "WhatsApp Image 2026-11-20 at 21.15.30.jpeg", {"messaging_app_name"}),
        (PHONE_PHOTO, "photo_2026-11-20_21-15-30.jpg", {"messaging_app_name"}),
        (PHONE_PHOTO, "IMG_0001.HEIC", {"converted_from_heic"}),
        (
            {**PHONE_PHOTO, "make": "Apple", "has_maker_note": False},
            "IMG_1.JPG",
            {"converted_from_heic"},
        ),
        (
            {"kind": "photo", "format": "JPEG", "has_exif": False, "jpeg_quality": 70},
            "a.jpg",
            {"metadata_stripped", "re_encoded"},
        ),
        ({**PHONE_PHOTO, "software": "Adobe Photoshop 25.0"}, "a.jpg", {"re_encoded"}),
        (
            {**PHONE_PHOTO, "capture_time": "2026-11-22T10:00:00+00:00"},
            "a.jpg",
            {"capture_after_upload"},
        ),
        (
            {
                **PHONE_PHOTO,
                "capture_time": "2026-11-21T20:00:00",
                "capture_time_zone_known": False,
            },
            "a.jpg",
            set(),
        ),  # within a zone's reach
        (
            {"kind": "video", "software": "Lavf60.3.100"},
            "VID-20261120-WA0002.mp4",
            {"messaging_app_name", "re_encoded", "no_capture_time"},
        ),
    ],
)
def test_originality_findings(
    metadata: dict[str, object], filename: str, expected: set[str]
) -> None:
    codes = {finding.split(":")[0] for finding in findings(metadata, filename, RECEIVED)}
    assert codes == expected


def test_hamming_distance_counts_differing_bits() -> None:
    assert hamming("ff00", "0f01") == 5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_perceptual_hash_is_imagehash_phash(seed: int) -> None:
    picture = media.scene(500, 400, seed=seed)
    assert perceptual_hash(picture) == str(imagehash.phash(picture))
