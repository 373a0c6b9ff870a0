"""tus 1.0.0 headers: parsing what a client sends and formatting what the server answers.

Pure functions only: no database, no storage, no framework. A header that cannot be parsed
raises ``ProtocolError`` carrying the HTTP status and a short message for the client.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "checksum", "expiration")
CHECKSUM_ALGORITHMS = ("sha1", "sha256")
OFFSET_STREAM = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460
"""The status tus's checksum extension gives a chunk whose checksum does not match."""

MAX_METADATA_PAIRS = 32
MAX_FILENAME_CHARS = 255
MAX_FILETYPE_CHARS = 200
MAX_CAPTION_CHARS = 2000

_DECIMAL = re.compile(r"[0-9]{1,19}")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
# Control characters (C0, DEL, C1) and the bidirectional formatting characters, which could
# make "photo\u202egpj.exe" read as "photo.exe.jpg" wherever the name is shown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class ProtocolError(Exception):
    """A request the protocol does not allow; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Checksum:
    """An ``Upload-Checksum``: the algorithm's name and the digest the client computed."""

    algorithm: str
    digest: bytes

    def hasher(self) -> "hashlib._Hash":
        """A fresh hash object for the algorithm."""
        return hashlib.new(self.algorithm)


@dataclass(frozen=True)
class UploadMetadata:
    """What Exhibit reads from ``Upload-Metadata``; every field is optional for the client."""

    filename: str = ""
    filetype: str = ""
    caption: str = ""
    sha256: str | None = None

    def as_header(self) -> str:
        """The ``Upload-Metadata`` value that describes this upload back to the client."""
        pairs = {"filename": self.filename, "filetype": self.filetype, "caption": self.caption}
        if self.sha256:
            pairs["sha256"] = self.sha256
        return format_metadata({key: value for key, value in pairs.items() if value})


def check_resumable(value: str | None) -> None:
    """Refuse (412) a request that does not speak the tus version this server does."""
    if value is None or value.strip() != TUS_VERSION:
        raise ProtocolError(412, f"this server speaks tus {TUS_VERSION} only")


def parse_size(value: str | None, header: str) -> int:
    """A non-negative decimal header such as ``Upload-Length`` or ``Upload-Offset``."""
    if value is None:
        raise ProtocolError(400, f"the {header} header is required")
    value = value.strip()
    if not _DECIMAL.fullmatch(value) or int(value) > 2**63 - 1:
        raise ProtocolError(400, f"the {header} header must be a non-negative whole number")
    return int(value)


def parse_content_length(value: str | None) -> int | None:
    """``Content-Length`` if the client sent one (chunked bodies have none)."""
    return None if value is None else parse_size(value, "Content-Length")


def is_offset_stream(content_type: str | None) -> bool:
    """True when the body is tus upload data (``application/offset+octet-stream``)."""
    if content_type is None:
        return False
    return content_type.split(";", 1)[0].strip().lower() == OFFSET_STREAM


def parse_metadata(value: str | None) -> dict[str, bytes]:
    """Decode ``Upload-Metadata``: comma-separated ``key base64value`` pairs.

    Keys are unique, non-empty and free of spaces and commas; a value may be empty, in which
    case the space may be left out too.
    """
    if value is None or not value.strip():
        return {}
    pairs = value.split(",")
    if len(pairs) > MAX_METADATA_PAIRS:
        raise ProtocolError(400, "Upload-Metadata has too many entries")
    decoded: dict[str, bytes] = {}
    for pair in pairs:
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not parts[0]:
            raise ProtocolError(400, "Upload-Metadata entries must be 'key base64value'")
        key = parts[0]
        if key in decoded:
            raise ProtocolError(400, "Upload-Metadata keys must be unique")
        decoded[key] = _base64(parts[1] if len(parts) == 2 else "")
    return decoded


def format_metadata(items: Mapping[str, str]) -> str:
    """Encode text values as an ``Upload-Metadata`` header value."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode('ascii')}" for key, value in items.items()
    )


def read_upload_metadata(raw: Mapping[str, bytes]) -> UploadMetadata:
    """Exhibit's own keys: ``filename``, ``filetype``, ``caption`` and ``sha256`` (hex).

    Other keys are ignored. A file name loses any folder part, control characters and
    bidirectional formatting characters (which could disguise its extension); a
    declared type that is not a media type is dropped (the content decides the type anyway).
    """
    text = {key: _text(key, raw[key]) for key in ("filename", "filetype", "caption") if key in raw}
    filename = _CONTROL.sub("", re.split(r"[/\\]", text.get("filename", ""))[-1]).strip()
    filetype = text.get("filetype", "").strip()
    if len(filetype) > MAX_FILETYPE_CHARS or not _MEDIA_TYPE.fullmatch(filetype):
        filetype = ""
    caption = text.get("caption", "").strip()
    if len(caption) > MAX_CAPTION_CHARS:
        raise ProtocolError(400, f"the caption is limited to {MAX_CAPTION_CHARS} characters")
    sha256 = None
    if "sha256" in raw:
        hex_digest = _text("sha256", raw["sha256"]).strip()
        if not _SHA256_HEX.fullmatch(hex_digest):
            raise ProtocolError(400, "the sha256 metadata must be 64 hexadecimal digits")
        sha256 = hex_digest.lower()
    return UploadMetadata(
        filename=filename[:MAX_FILENAME_CHARS],
        filetype=filetype.lower(),
        caption=caption,
        sha256=sha256,
    )


def parse_checksum(value: str | None) -> Checksum | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``; 400 for an unsupported algorithm."""
    if value is None:
        return None
    parts = value.strip().split(" ")
    if len(parts) != 2:
        raise ProtocolError(400, "Upload-Checksum must be '<algorithm> <base64 digest>'")
    algorithm = parts[0].lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ProtocolError(
            400, f"unsupported checksum algorithm; use {', '.join(CHECKSUM_ALGORITHMS)}"
        )
    digest = _base64(parts[1])
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise ProtocolError(400, f"Upload-Checksum is not a {algorithm} digest")
    return Checksum(algorithm, digest)


def http_date(moment: datetime) -> str:
    """An RFC 7231 date, as ``Upload-Expires`` requires (``Wed, 25 Jun 2014 16:00:00 GMT``)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _base64(value: str) -> bytes:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(400, "a base64 value in the headers could not be decoded") from None


def _text(key: str, value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {key} metadata must be UTF-8 text") from None
