"""What the core hands a plugin's hooks and providers, made in a test from a few bytes.

Each builder gives a snapshot with plausible values; pass only the fields your test cares
about (``item_info(sniffed_type="application/pdf")``).
"""

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from exhibit.plugins.context import ForceInfo, ItemInfo, SubmissionInfo, UploadCandidate
from exhibit.storage.backend import HEAD_BYTES
from exhibit.uploads.ingest import sniff_type

DEMO_FORCE = ForceInfo(id=1, slug="demo", name="Demo")
"""The force hooks are called for unless a test names another."""

CHUNK_SIZE = 64 * 1024


def byte_stream(data: bytes, chunk_size: int = CHUNK_SIZE) -> Callable[[], AsyncIterator[bytes]]:
    """An opener like ``UploadCandidate.open`` or a processor's ``open_original``: each call
    streams ``data`` afresh, in chunks of ``chunk_size`` (the core's chunks vary; so may yours).
    """

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    return stream


def upload_candidate(
    data: bytes,
    *,
    filename: str = "upload.bin",
    declared_type: str = "application/octet-stream",
    chunk_size: int = CHUNK_SIZE,
) -> UploadCandidate:
    """The upload ``exhibit_validate_upload`` would see for ``data``: its size, SHA-256 and
    the type the core sniffs from its content (as at ingest, never from the name).

    The core calls validators only for files of an accepted type whose hash matched; see
    the hook's docstring.
    """
    return UploadCandidate(
        filename=filename,
        declared_type=declared_type,
        sniffed_type=sniff_type(data[:HEAD_BYTES]),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        open=byte_stream(data, chunk_size),
    )


def item_info(data: bytes = b"", **fields: Any) -> ItemInfo:
    """An evidence item as hooks and processors see it; size, hash and type follow ``data``."""
    values: dict[str, Any] = {
        "id": 1,
        "case_id": 1,
        "submission_id": 1,
        "original_filename": "photo.jpg",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sniffed_type": sniff_type(data[:HEAD_BYTES]),
        "review_state": "pending",
        "exhibit_reference": None,
        "received_at": datetime.now(UTC),
    }
    return ItemInfo(**{**values, **fields})


def submission_info(**fields: Any) -> SubmissionInfo:
    """A completed submission as ``exhibit_submission_completed`` sees it."""
    values: dict[str, Any] = {
        "id": 1,
        "request_id": 1,
        "reference": "EXH-7K3M-Q9PX",
        "completed_at": datetime.now(UTC),
    }
    return SubmissionInfo(**{**values, **fields})
