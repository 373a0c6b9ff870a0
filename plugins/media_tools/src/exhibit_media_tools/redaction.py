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
    # Pillow copies a JPEG comment of the original into the copy unless told otherwise.
    picture.save(target, "JPEG", quality=92, comment=b"")
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
            "method": "JPEG: only JFIF, ICC and Adobe APPn segments kept (EXIF, XMP, MPF, "
            "IPTC, comments dropped), nothing after the end of the first image, "
            "pixels untouched",
            "kept_exif": _kept_names(kept),
        }
    if image.format == "PNG":
        target.write_bytes(_png_without_metadata(source.read_bytes()))
        return {
            "method": "PNG: only picture and colour chunks kept (text, time, eXIf and "
            "private chunks dropped), nothing after IEND, pixels untouched",
            "kept_exif": [],
        }
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


_JPEG_KEPT_APPS = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
"""APPn segments kept, by their identifier: JFIF, the colour profile and Adobe's colour
transform flag, which decoding needs. Every other APPn (EXIF, XMP, MPF, IPTC, vendors') goes."""
_JPEG_UNSIZED = {0x01, *range(0xD0, 0xD8)}
"""Markers without a length: TEM and the restart markers."""


def _jpeg_without_metadata(data: bytes, kept: Image.Exif) -> bytes:
    """The first picture of the JPEG, up to its end marker, without metadata segments.

    Only the APPn segments of ``_JPEG_KEPT_APPS`` and the decoding segments are copied, so
    EXIF, XMP, MPF, IPTC, comments and vendor segments are dropped; so is everything after
    the end-of-image marker, where phones append further pictures with their own EXIF
    (MPF gain maps, depth maps) and motion-photo videos.
    """
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    if len(kept):
        payload = kept.tobytes()  # starts with the "Exif\0\0" identifier already
        out.write(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    pos = 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("corrupt JPEG: segment marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # end of image: anything after it is not this picture
            out.write(b"\xff\xd9")
            return out.getvalue()
        if marker in _JPEG_UNSIZED:
            out.write(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > len(data):
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        end = pos + 2 + length
        segment = data[pos:end]
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or (
            marker in _JPEG_KEPT_APPS and segment[4:].startswith(_JPEG_KEPT_APPS[marker])
        ):
            out.write(segment)
        if marker == 0xDA:  # start of scan: copy the coded data up to the next marker
            end = _end_of_scan(data, end)
            out.write(data[pos + 2 + length : end])
        pos = end
    raise ValueError("corrupt JPEG: no end of image")


def _end_of_scan(data: bytes, pos: int) -> int:
    """Where the entropy-coded data starting at ``pos`` ends: at the first real marker.

    Inside it, 0xFF is followed by 0x00 (a stuffed byte) or a restart marker.
    """
    while (pos := data.find(b"\xff", pos)) != -1 and pos + 1 < len(data):
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:
            pos += 1
        else:
            return pos
    return len(data)


_PNG_KEPT_CHUNKS = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
    b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
"""The picture and how to show it; text, time, EXIF, C2PA and private chunks are dropped."""


def _png_without_metadata(data: bytes) -> bytes:
    """The PNG with only the chunks of ``_PNG_KEPT_CHUNKS``, up to its end chunk."""
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise ValueError("not a PNG")
    out, pos = [signature], len(signature)
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos : pos + 12 + length]
        if kind in _PNG_KEPT_CHUNKS:
            out.append(chunk)
        pos += 12 + length
        if kind == b"IEND":
            break
    return b"".join(out)
