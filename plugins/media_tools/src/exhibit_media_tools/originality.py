"""Signs that a file is not the witness's original recording, as findings for the officer.

Each finding is ``"code: explanation"``. None of them proves anything; each is a reason
to ask the witness for the file as it came off the device.
"""

import re
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any

MESSAGING_APP_NAMES = (
    ("WhatsApp", re.compile(r"^(IMG|VID|AUD|PTT|DOC)-\d{8}-WA\d{4}", re.IGNORECASE)),
    ("WhatsApp", re.compile(r"^WhatsApp (Image|Video|Audio) \d{4}-\d{2}-\d{2}", re.IGNORECASE)),
    ("Telegram", re.compile(r"^(photo|video|audio)_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}")),
    ("Signal", re.compile(r"^signal-\d{4}-\d{2}-\d{2}-\d{6}")),
    ("Facebook Messenger", re.compile(r"^received_\d{6,}")),
    ("Facebook", re.compile(r"^\d+_\d+_\d+_[nob]\.(jpe?g|mp4)$", re.IGNORECASE)),
)
EDITING_SOFTWARE = re.compile(
    r"photoshop|gimp|lightroom|snapseed|instagram|whatsapp|picsart|facetune|canva|"
    r"lavf|ffmpeg|handbrake|premiere|imovie|capcut|inshot",
    re.IGNORECASE,
)
LOW_JPEG_QUALITY = 80
"""Phone cameras save at 90+; messaging apps and editors typically re-encode lower."""
CLOCK_SLACK = timedelta(hours=14)
"""A capture time without a zone may be off by up to the widest UTC offset."""


def findings(metadata: dict[str, Any], filename: str, received_at: datetime) -> list[str]:
    """Every sign that the file was converted, stripped, re-encoded or forwarded."""
    found: list[str] = []
    stem = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    kind = metadata.get("kind")
    for app, pattern in MESSAGING_APP_NAMES:
        if pattern.search(stem):
            found.append(f"messaging_app_name: the file name {stem!r} is how {app} names files")
            break
    if kind == "photo":
        found += _photo_findings(metadata, suffix)
    elif not metadata.get("capture_time"):
        found.append("no_capture_time: the recording carries no creation time")
    software = str(metadata.get("software", ""))
    if EDITING_SOFTWARE.search(software):
        found.append(f"re_encoded: written by {software[:80]!r}, not by a camera")
    if (captured := _aware(metadata)) is not None and captured > received_at + CLOCK_SLACK * (
        0 if metadata.get("capture_time_zone_known") else 1
    ):
        found.append(
            f"capture_after_upload: the file says it was made at {metadata['capture_time']}, "
            f"after it was received ({received_at.isoformat()})"
        )
    return found


def _photo_findings(metadata: dict[str, Any], suffix: str) -> list[str]:
    found = []
    image_format = metadata.get("format")
    if suffix in (".heic", ".heif") and image_format != "HEIF":
        found.append(
            f"converted_from_heic: named {suffix} but the content is {image_format}: the "
            "phone or browser converted it on upload"
        )
    elif _apple_jpeg(metadata) and (suffix == ".jpeg" or not metadata.get("has_maker_note", True)):
        found.append(
            "converted_from_heic: an iPhone JPEG without Apple's maker note, as made when "
            "a HEIC photo is converted for upload"
        )
    if not metadata.get("has_exif"):
        found.append("metadata_stripped: the photo carries no EXIF (no capture time or device)")
    elif not metadata.get("capture_time"):
        found.append("no_capture_time: the photo's EXIF has no capture time")
    quality = metadata.get("jpeg_quality")
    if isinstance(quality, int) and quality < LOW_JPEG_QUALITY:
        found.append(f"re_encoded: JPEG quality about {quality}, lower than a camera saves")
    return found


def _apple_jpeg(metadata: dict[str, Any]) -> bool:
    return metadata.get("format") == "JPEG" and str(metadata.get("make", "")).lower() == "apple"


def _aware(metadata: dict[str, Any]) -> datetime | None:
    text = metadata.get("capture_time")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
