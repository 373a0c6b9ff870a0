"""An upload's staging area in the bucket: its manifest, its lock and its tail segments.

Everything an upload in progress needs lives beside the evidence, under
``<prefix>.exhibit-staging/<token>/`` (a name no evidence key can take, since keys start
with a letter or digit), so any app process that can reach the bucket can continue it:

``manifest``
    JSON: the multipart upload id, the size so far, the parts sent (number, ETag, SHA-256,
    size; every part is exactly ``part_size`` bytes) and the *tail*: segment objects
    holding the bytes after the last whole part, in order. It is rewritten with
    ``If-Match`` on its ETag, so two writers can never both commit.
``lock``
    Held by the request writing to the upload, created with ``If-None-Match: *``. It names
    an expiry; an expired lock (its holder died) is taken over with ``If-Match``.
``seg-<offset>-<random>``
    Tail bytes (less than one part). When a later append fills the part, the segments are
    read back, sent as the part, and kept (``retained``) until the upload ends, so that
    ``truncate`` can cut back into a part whose start came from an earlier request.
"""

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from exhibit.storage.backend import ObjectNotFound, StorageError, UploadBusy
from exhibit_storage_s3.client import is_missing, is_precondition_failed, storage_error

STAGING = ".exhibit-staging/"


class Part(msgspec.Struct, frozen=True):
    """One multipart part sent to S3."""

    n: int
    etag: str
    sha256: str  # base64, as S3 reports it
    size: int


class Segment(msgspec.Struct, frozen=True):
    """A staged tail segment: its object name (under the staging folder), offset and size."""

    name: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        """The offset just past this segment."""
        return self.offset + self.size


class Manifest(msgspec.Struct):
    """Where an upload in progress stands (see the module docstring)."""

    key: str
    upload_id: str
    size: int = 0
    parts: list[Part] = msgspec.field(default_factory=list)
    tail: list[Segment] = msgspec.field(default_factory=list)
    retained: list[Segment] = msgspec.field(default_factory=list)
    created: float = msgspec.field(default_factory=time.time)

    @property
    def parts_size(self) -> int:
        """Bytes held in whole parts."""
        return sum(part.size for part in self.parts)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Manifest)


def staging_folder(prefix: str, token: str) -> str:
    """The staging folder of upload ``token``."""
    return f"{prefix}{STAGING}{token}/"


@dataclass
class Staging:
    """The staging objects of one upload, used from worker threads."""

    client: Any
    bucket: str
    folder: str
    put_extra: dict[str, Any]
    etag: str | None = None  # the manifest's ETag as last read or written
    last: Manifest | None = None  # the manifest as last read or written

    def read(self) -> Manifest:
        """Load the manifest; ``ObjectNotFound`` if the upload is gone."""
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.folder + "manifest")
            body = got["Body"].read()
        except Exception as exc:
            if is_missing(exc):
                raise ObjectNotFound(
                    "no upload in progress (it was completed or discarded)"
                ) from None
            raise storage_error("reading the upload manifest", exc) from exc
        self.etag = got["ETag"]
        self.last = _decoder.decode(body)
        return self.last

    def create(self, manifest: Manifest) -> None:
        """Write the first manifest (refused if one exists)."""
        self._put(manifest, IfNoneMatch="*")

    def commit(self, manifest: Manifest) -> None:
        """Replace the manifest, only if nobody else replaced it since we read it."""
        if self.etag is None:
            raise StorageError("the upload manifest was not read before writing")
        self._put(manifest, IfMatch=self.etag)

    def _put(self, manifest: Manifest, **condition: str) -> None:
        try:
            done = self.client.put_object(
                Bucket=self.bucket,
                Key=self.folder + "manifest",
                Body=_encoder.encode(manifest),
                ContentType="application/json",
                ChecksumAlgorithm="SHA256",
                **condition,
                **self.put_extra,
            )
        except Exception as exc:
            if is_precondition_failed(exc):
                raise UploadBusy("another request changed this upload meanwhile") from None
            raise storage_error("writing the upload manifest", exc) from exc
        self.etag = done["ETag"]
        self.last = manifest

    def put_segment(self, offset: int, data: bytes) -> Segment:
        """Store tail bytes starting at ``offset`` as a new segment object."""
        name = f"seg-{offset:016d}-{secrets.token_hex(4)}"
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.folder + name,
                Body=data,
                ChecksumAlgorithm="SHA256",
                **self.put_extra,
            )
        except Exception as exc:
            raise storage_error("staging tail bytes", exc) from exc
        return Segment(name=name, offset=offset, size=len(data))

    def read_segment(self, segment: Segment, length: int | None = None) -> bytes:
        """The bytes of a segment (its first ``length`` bytes if given)."""
        if length == 0:
            return b""
        extra = {"Range": f"bytes=0-{length - 1}"} if length is not None else {}
        try:
            got = self.client.get_object(
                Bucket=self.bucket, Key=self.folder + segment.name, **extra
            )
            data: bytes = got["Body"].read()
        except Exception as exc:
            raise storage_error("reading staged tail bytes", exc) from exc
        expected = segment.size if length is None else length
        if len(data) != expected:
            raise StorageError(
                f"staged segment {segment.name} holds {len(data)} bytes, not {expected}"
            )
        return data

    def remove_all(self, keep: str | None = None) -> None:
        """Delete every object (every version) in the staging folder but ``keep``."""
        try:
            paginator = self.client.get_paginator("list_object_versions")
            doomed: list[dict[str, str]] = []
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.folder):
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    if keep is not None and entry["Key"] == self.folder + keep:
                        continue
                    doomed.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
            for start in range(0, len(doomed), 1000):
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": doomed[start : start + 1000], "Quiet": True},
                )
        except Exception as exc:
            raise storage_error("removing the upload's staging objects", exc) from exc


# --- the lock ---------------------------------------------------------------------------------

_local_holds: set[str] = set()
_local_lock = threading.Lock()


@dataclass
class Lock:
    """The lock on one upload, held by one request; renewed until released."""

    client: Any
    bucket: str
    key: str
    lease: float
    put_extra: dict[str, Any]
    etag: str = ""
    versions: list[str] = field(default_factory=list)
    _mutex: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> None:
        """Take the lock, or raise ``UploadBusy`` at once if a live holder has it.

        Within one process a set of held locks answers without asking S3; across processes
        the conditional write decides.
        """
        with _local_lock:
            if self.key in _local_holds:
                raise UploadBusy("another request is writing to this upload")
            _local_holds.add(self.key)
        try:
            try:
                self._put(IfNoneMatch="*")
                return
            except UploadBusy:
                pass
            current = self._current()
            if current is None:
                self._put(IfNoneMatch="*")
                return
            etag, until = current
            if until > time.time():
                raise UploadBusy("another request is writing to this upload")
            self._put(IfMatch=etag)  # the holder died: take its lock over
        except BaseException:
            with _local_lock:
                _local_holds.discard(self.key)
            raise

    def renew(self) -> None:
        """Push the expiry further out (``UploadBusy`` if the lock was taken over)."""
        with self._mutex:
            self._put(IfMatch=self.etag)

    def release(self) -> None:
        """Give the lock up: delete the versions we wrote (or ours, by ETag)."""
        try:
            with self._mutex:
                if self.versions and self.versions[-1] not in ("", "null"):
                    for version in self.versions:
                        self._delete(VersionId=version)
                elif self.etag:
                    self._delete(IfMatch=self.etag)
        finally:
            with _local_lock:
                _local_holds.discard(self.key)

    def _delete(self, **which: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, **which)
        except Exception as exc:
            if not (is_missing(exc) or is_precondition_failed(exc)):
                raise storage_error("releasing the upload lock", exc) from exc

    def _put(self, **condition: str) -> None:
        body = json.dumps({"until": time.time() + self.lease}).encode()
        try:
            done = self.client.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                **condition,
                **self.put_extra,
            )
        except Exception as exc:
            if is_precondition_failed(exc):
                raise UploadBusy("another request is writing to this upload") from None
            raise storage_error("taking the upload lock", exc) from exc
        self.etag = done["ETag"]
        self.versions.append(done.get("VersionId") or "")

    def _current(self) -> tuple[str, float] | None:
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.key)
            until = float(json.loads(got["Body"].read()).get("until", 0))
        except Exception as exc:
            if is_missing(exc):
                return None
            if isinstance(exc, ValueError):
                return got["ETag"], 0.0  # unreadable: treat as expired
            raise storage_error("reading the upload lock", exc) from exc
        return got["ETag"], until
