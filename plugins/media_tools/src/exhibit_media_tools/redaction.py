"""Redacted and disclosure copies of photos; the original is only ever read.

A redacted copy blurs faces the detector finds and rectangles an officer drew. A
disclosure copy keeps the picture but drops location and device metadata: for JPEG and
PNG losslessly (metadata segments removed, pixels untouched), otherwise by re-encoding
losslessly to PNG.
"""

import io
import struct
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from exhibit_media_tools.faces import DETECTOR, Box, detect_faces
from exhibit_media_tools.images import (
    DATETIME_ORIGINAL,
    EXIF_IFD,
    OFFSET_TIME_ORIGINAL,
    ORIENTATION,
    upright,
)

BLUR_RADIUS_FRACTION = 0.25
"""Gaussian blur radius as a fraction of the box's shorter side: enough to defeat recognition."""


def redact_image(
    image: Image.Image, target: Path, boxes: list[Box], detect: bool
) -> dict[str, Any]:
    """Write a JPEG copy with ``boxes`` (and detected faces, if ``detect``) blurred.

    Boxes are in the coordinates of the upright image (as the officer sees it). Returns the
    parameters, including every box blurred, for provenance.
    """
    picture = upright(image)
    found = detect_faces(np.asarray(picture)) if detect else []
    blurred = [_clip(box, picture.size) for box in [*boxes, *found]]
    for left, top, width, height in blurred:
        if width <= 0 or height <= 0:
            continue
        region = picture.crop((left, top, left + width, top + height))
        radius = max(4.0, min(width, height) * BLUR_RADIUS_FRACTION)
        picture.paste(region.filter(ImageFilter.GaussianBlur(radius)), (left, top))
    picture.save(target, "JPEG", quality=92)
    return {
        "officer_boxes": [list(b) for b in boxes],
        "detected_faces": [list(b) for b in found],
        "face_detector": DETECTOR if detect else None,
        "blur": f"gaussian, radius {BLUR_RADIUS_FRACTION} x shorter side (min 4 px)",
        "format": "JPEG",
        "quality": 92,
        "metadata": "none (orientation applied to pixels)",
    }


def blur_array(pixels: "np.ndarray[Any, Any]", boxes: list[Box]) -> None:
    """Blur ``boxes`` of an RGB array in place (for video frames)."""
    import cv2

    height, width = pixels.shape[:2]
    for box in boxes:
        left, top, w, h = _clip(box, (width, height))
        if w <= 0 or h <= 0:
            continue
        kernel = max(9, int(min(w, h) * BLUR_RADIUS_FRACTION) * 4 + 1) | 1
        region = pixels[top : top + h, left : left + w]
        pixels[top : top + h, left : left + w] = cv2.GaussianBlur(region, (kernel, kernel), 0)


def _clip(box: Box, size: tuple[int, int]) -> Box:
    left, top, width, height = box
    left, top = max(0, left), max(0, top)
    return left, top, min(width, size[0] - left), min(height, size[1] - top)


def disclosure_copy(image: Image.Image, source: Path, target: Path) -> dict[str, Any]:
    """Write a copy without location and device metadata; return how it was made."""
    kept = _kept_exif(image)
    if image.format == "JPEG":
        target.write_bytes(_jpeg_without_metadata(source.read_bytes(), kept))
        return {
            "method": "JPEG segments APP1/APP13/COM removed, pixels untouched",
            "kept_exif": _kept_names(kept),
        }
    if image.format == "PNG":
        target.write_bytes(_png_without_metadata(source.read_bytes()))
        return {"method": "PNG text and eXIf chunks removed, pixels untouched", "kept_exif": []}
    upright(image).save(target, "PNG", optimize=False)
    return {"method": f"{image.format} decoded and saved as lossless PNG", "kept_exif": []}


def _kept_exif(image: Image.Image) -> Image.Exif:
    """Orientation and capture time only: no GPS, no make, model or serial numbers."""
    exif = image.getexif()
    kept = Image.Exif()
    if ORIENTATION in exif:
        kept[ORIENTATION] = exif[ORIENTATION]
    details = exif.get_ifd(EXIF_IFD)
    if DATETIME_ORIGINAL in details:
        sub = kept.get_ifd(EXIF_IFD)
        sub[DATETIME_ORIGINAL] = details[DATETIME_ORIGINAL]
        if OFFSET_TIME_ORIGINAL in details:
            sub[OFFSET_TIME_ORIGINAL] = details[OFFSET_TIME_ORIGINAL]
    return kept


def _kept_names(kept: Image.Exif) -> list[str]:
    names = ["Orientation"] if ORIENTATION in kept else []
    if DATETIME_ORIGINAL in kept.get_ifd(EXIF_IFD):
        names.append("DateTimeOriginal")
    return names


def _jpeg_without_metadata(data: bytes, kept: Image.Exif) -> bytes:
    """The JPEG with its APPn metadata segments (bar JFIF and ICC) and comments removed."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    if len(kept):
        payload = b"Exif\x00\x00" + kept.tobytes()
        out.write(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("corrupt JPEG: segment marker expected")
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is picture data
            out.write(data[pos:])
            return out.getvalue()
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos : pos + 2 + length]
        if marker in (0xE1, 0xED, 0xFE) or (0xE3 <= marker <= 0xEF):
            pass  # EXIF/XMP, IPTC, comments, vendor segments: dropped
        else:
            out.write(segment)
        pos += 2 + length
    raise ValueError("corrupt JPEG: no picture data")


_PNG_METADATA_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _png_without_metadata(data: bytes) -> bytes:
    """The PNG without its text, time and EXIF chunks."""
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise ValueError("not a PNG")
    out, pos = [signature], len(signature)
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos : pos + 12 + length]
        if kind not in _PNG_METADATA_CHUNKS:
            out.append(chunk)
        pos += 12 + length
        if kind == b"IEND":
            break
    return b"".join(out)
