"""Which decoder may read a file: chosen from its first bytes, from a short allowlist.

FFmpeg will happily follow a playlist (HLS), a concat list or an image sequence to other
files and URLs. We never let it guess: the container is recognised here from magic bytes,
and only a demuxer that reads a single self-contained file is ever named to it.
"""

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
"""Pillow plugins allowed to decode a photo (HEIF via pillow-heif)."""

AV_DEMUXERS = ("mov", "matroska", "avi", "wav", "ogg", "mp3", "aac", "amr", "flac")
"""FFmpeg demuxers allowed to read a video or audio file; none opens other files."""


class UnsupportedContainer(ValueError):
    """The file is not one of the containers we agree to decode."""


def image_or_av(head: bytes) -> str:
    """``"image"`` or ``"av"`` for a file starting with ``head``; raises for anything else."""
    if _image_format(head) is not None:
        return "image"
    av_demuxer(head)
    return "av"


def _image_format(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in (
        b"heic",
        b"heix",
        b"mif1",
        b"msf1",
        b"heim",
        b"avif",
    ):
        return "HEIF"
    return None


def av_demuxer(head: bytes) -> str:
    """The FFmpeg demuxer for a video/audio file starting with ``head``.

    Raises ``UnsupportedContainer`` for anything else (playlists, concat lists, scripts).
    """
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS: sync word and layer 0
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "mp3"  # MPEG audio frame sync with a layer set
    raise UnsupportedContainer("not a photo, video or audio container we decode")
