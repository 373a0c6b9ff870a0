"""Photos: metadata from EXIF, a thumbnail the right way up, a perceptual hash.

Runs only inside the sandbox process (see ``sandbox``): the bytes are hostile.
"""

import math
import warnings
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from exhibit_media_tools.containers import IMAGE_FORMATS

pillow_heif.register_heif_opener()

MAX_PIXELS = 80_000_000
"""Largest image we decode (a 12-megapixel photo is 12,000,000; phones top out near 50M)."""

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION, SOFTWARE, DATETIME = 0x010F, 0x0110, 0x0112, 0x0131, 0x0132
DATETIME_ORIGINAL, OFFSET_TIME, OFFSET_TIME_ORIGINAL = 0x9003, 0x9010, 0x9011
MAKER_NOTE = 0x927C
MAX_TEXT = 200
"""Longest text value (make, model, software) kept from the file's own metadata."""
# EXIF orientation -> (clockwise degrees, mirrored): the picture is mirrored left-right,
# then turned, to be seen as the camera meant it (what ``ImageOps.exif_transpose`` does).
_ORIENTATIONS = {
    1: (0, False),
    2: (0, True),
    3: (180, False),
    4: (180, True),
    5: (270, True),
    6: (90, False),
    7: (90, True),
    8: (270, False),
}


class ImageTooLarge(ValueError):
    """The image claims more pixels than we agree to decode (a decompression bomb?)."""


def open_image(path: Path) -> Image.Image:
    """Open a photo with only the allowed decoders, refusing decompression bombs."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=IMAGE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(str(exc)) from None
    if image.width * image.height > MAX_PIXELS:
        raise ImageTooLarge(f"{image.width}x{image.height} is more pixels than we decode")
    return image


def image_metadata(image: Image.Image) -> dict[str, Any]:
    """What the photo says about itself: size, orientation, capture time, device, place."""
    exif = image.getexif()
    details = exif.get_ifd(EXIF_IFD)
    gps = exif.get_ifd(GPS_IFD)
    orientation = exif_orientation(exif.get(ORIENTATION))
    width, height = image.width, image.height
    turned = exif_orientation(image.info.get("original_orientation"))
    if orientation == 1 and turned != 1:
        # HEIF keeps the camera's turn in the container and libheif applies it as it decodes,
        # leaving EXIF's tag at 1: report the camera's orientation and the picture's size as
        # stored, as for a JPEG, rather than a photo held upright.
        orientation = turned
        if _ORIENTATIONS[turned][0] in (90, 270):
            width, height = height, width
    rotation, mirrored = _ORIENTATIONS[orientation]
    metadata: dict[str, Any] = {
        "kind": "photo",
        "format": image.format,
        "width": width,
        "height": height,
        "orientation": orientation,
        "rotation": rotation,
        "mirrored": mirrored,
        "has_exif": len(exif) > 0,
    }
    for key, tag in (("make", MAKE), ("model", MODEL), ("software", SOFTWARE)):
        if value := _text(exif.get(tag)):
            metadata[key] = value[:MAX_TEXT]
    captured = _text(details.get(DATETIME_ORIGINAL)) or _text(exif.get(DATETIME))
    offset = _text(details.get(OFFSET_TIME_ORIGINAL)) or _text(details.get(OFFSET_TIME))
    if captured:
        metadata.update(capture_time(captured, offset))
    if position := gps_position(gps):
        metadata["gps"] = position
    if image.format == "JPEG":
        metadata["jpeg_quality"] = jpeg_quality(image)
        metadata["has_maker_note"] = MAKER_NOTE in details
    return metadata


def exif_orientation(value: Any) -> int:
    """The EXIF orientation (1-8) of a tag value; 1 for a missing, malformed or unknown one.

    Pillow's ``exif_transpose`` ignores such values too, so the metadata matches the thumbnail.
    """
    return value if isinstance(value, int) and value in _ORIENTATIONS else 1


def capture_time(exif_time: str, offset: str | None) -> dict[str, Any]:
    """An EXIF ``YYYY:MM:DD HH:MM:SS`` time as ISO 8601, with its UTC offset when known."""
    try:
        moment = datetime.strptime(exif_time.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return {"capture_time_raw": exif_time[:40]}
    if offset:
        try:
            aware = datetime.fromisoformat(f"{moment.isoformat()}{offset.strip()}")
        except ValueError:
            aware = None
        if aware is not None and aware.tzinfo is not None:
            return {"capture_time": aware.isoformat(), "capture_time_zone_known": True}
    return {"capture_time": moment.isoformat(), "capture_time_zone_known": False}


def gps_position(gps: Any) -> dict[str, float] | None:
    """Latitude, longitude (and altitude) in decimal degrees from an EXIF GPS directory.

    ``None`` unless both are real numbers on the globe: a rational with a zero denominator
    reads as NaN, which no JSON column takes and no map can show.
    """
    try:
        lat = _degrees(gps[2]) * (-1 if _text(gps.get(1)) == "S" else 1)
        lon = _degrees(gps[4]) * (-1 if _text(gps.get(3)) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also False for NaN
        return None
    position = {"latitude": round(lat, 7), "longitude": round(lon, 7)}
    if 6 in gps:
        try:
            altitude = float(Fraction(str(gps[6])))
        except (TypeError, ValueError, ZeroDivisionError):
            altitude = math.nan
        if math.isfinite(altitude):
            position["altitude"] = round(-altitude if gps.get(5) in (1, b"\x01") else altitude, 2)
    return position


def _degrees(value: Any) -> float:
    d, m, s = (float(part) for part in value)
    return d + m / 60 + s / 3600


def _text(value: Any) -> str:
    """A tag value as text: an EXIF ASCII value ends at its first NUL, as in C."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip("\x00 ").partition("\x00")[0].strip() if value is not None else ""


def jpeg_quality(image: Image.Image) -> int | None:
    """Estimate the JPEG quality (1-100) the luminance quantisation table was made with.

    Compares the table's sum with libjpeg's standard table scaled to each quality, so the
    order in which the table is stored does not matter.
    """
    tables = getattr(image, "quantization", None)
    if not tables or 0 not in tables:
        return None
    observed = sum(tables[0])
    return min(range(1, 101), key=lambda q: abs(_scaled_sum(q) - observed))


_LUMINANCE = (
    16,
    11,
    10,
    16,
    24,
    40,
    51,
    61,
    12,
    12,
    14,
    19,
    26,
    58,
    60,
    55,
    14,
    13,
    16,
    24,
    40,
    57,
    69,
    56,
    14,
    17,
    22,
    29,
    51,
    87,
    80,
    62,
    18,
    22,
    37,
    56,
    68,
    109,
    103,
    77,
    24,
    35,
    55,
    64,
    81,
    104,
    113,
    92,
    49,
    64,
    78,
    87,
    103,
    121,
    120,
    101,
    72,
    92,
    95,
    98,
    112,
    100,
    103,
    99,
)


def _scaled_sum(quality: int) -> int:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return sum(min(255, max(1, (v * scale + 50) // 100)) for v in _LUMINANCE)


def upright(image: Image.Image) -> Image.Image:
    """The image turned the way the camera meant it (EXIF orientation applied), in RGB."""
    turned = ImageOps.exif_transpose(image)
    return turned.convert("RGB")


def thumbnail(picture: Image.Image, target: Path, size: int) -> dict[str, Any]:
    """Write a JPEG thumbnail of an upright picture, at most ``size`` on its longer side."""
    picture = picture.copy()
    picture.thumbnail((size, size), Image.Resampling.LANCZOS)
    picture.save(target, "JPEG", quality=85, optimize=True)
    return {
        "max_size": size,
        "resample": "LANCZOS",
        "format": "JPEG",
        "quality": 85,
        "optimize": True,
        "orientation_applied": True,
    }


HASH_SIZE = 8
_N = HASH_SIZE * 4
# The unnormalised DCT-II matrix, as scipy.fftpack.dct computes it (imagehash uses that).
_DCT = 2 * np.cos(np.pi * np.outer(np.arange(_N), 2 * np.arange(_N) + 1) / (2 * _N))


def perceptual_hash(picture: Image.Image) -> str:
    """The 64-bit DCT perceptual hash of a picture, in hex: the same bits as ``imagehash.phash``.

    Computed with numpy alone, because importing imagehash (and SciPy with it) takes longer
    than hashing a photo in each short-lived sandbox process.
    """
    small = picture.convert("L").resize((_N, _N), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.float64)
    low = (_DCT @ pixels @ _DCT.T)[:HASH_SIZE, :HASH_SIZE]
    bits = (low > np.median(low)).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):0{HASH_SIZE * HASH_SIZE // 4}x}"
