"""An upload's staging area in the bucket: its manifest, its lock and its tail segments.

Everything an upload in progress needs lives beside the evidence, under
``<prefix>.exhibit-staging/<token>/`` (a name no evidence key can take, since keys start
with a letter or digit), so any app process that can reach the bucket can continue it:

``manifest``
    JSON: the multipart upload id, the size so far, the parts sent (number, ETag, SHA-256,
    size; every part is exactly ``part_size`` bytes) and the *tail*: segment objects
    holding the bytes after the last whole part, in order. It is only ever rewritten with
    ``If-Match`` on its ETag, so two writers can never both commit. It is also the upload's
    lock: a request claims the upload by writing its own ``holder`` and an expiry
    (``until``) into it, keeps that expiry renewed while it works, and clears both in the
    write that records what it appended. A claim whose holder died is taken over once
    ``until`` has passed.
``seg-<offset>-<random>``
    Tail bytes (less than one part). When a later append fills the part, the segments are
    read back, sent as the part, and kept (``retained``) until the upload ends, so that
    ``truncate`` can cut back into a part whose start came from an earlier request.
"""

import secrets
import threading
import time
from collections import OrderedDict
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
    holder: str = ""  # the request that claimed the upload ('' when nobody has)
    until: float = 0.0  # when that claim lapses unless renewed

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
    claimed_from: str | None = None  # the ETag our claim replaced: the version we work on
    holder: str = ""
    lease: float = 60.0
    removed: bool = False
    _mutex: threading.Lock = field(default_factory=threading.Lock)

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
        assert self.etag is not None
        _released.put(self.folder, self.etag, manifest)

    def commit(self, manifest: Manifest) -> None:
        """Replace the manifest, only if nobody else replaced it since we read it.

        While the upload is claimed the claim is kept (with a fresh expiry).
        """
        if self.etag is None:
            raise StorageError("the upload manifest was not read before writing")
        if self.holder and self.last is not None and self.last.holder == self.holder:
            manifest = msgspec.structs.replace(manifest, holder=self.holder)
        self._put(manifest, IfMatch=self.etag)

    def _commit_released(self, manifest: Manifest) -> None:
        if self.etag is None:
            raise StorageError("the upload manifest was not read before writing")
        self._put(msgspec.structs.replace(manifest, holder="", until=0.0), IfMatch=self.etag)

    def claim(self) -> Manifest:
        """Claim the upload for this request; ``UploadBusy`` at once if a live holder has it.

        Within one process a set of claimed folders answers without asking S3. When this
        process wrote the manifest last, the claim is one conditional write on the ETag it
        remembers, with no read first: if anyone wrote since, the ETag differs, the write is
        refused, and the manifest is read as for a first claim. ``ObjectNotFound`` if the
        upload is gone.
        """
        with _local_lock:
            if self.folder in _local_holds:
                raise UploadBusy("another request is writing to this upload")
            _local_holds.add(self.folder)
        self.holder = secrets.token_hex(8)
        try:
            remembered = _released.get(self.folder)
            if remembered is not None:
                etag, manifest = remembered
                try:
                    self._claim(manifest, etag)
                    return manifest
                except (UploadBusy, ObjectNotFound):
                    pass  # written (or removed) by another process since: read it
            manifest = self.read()
            if manifest.holder and manifest.until > time.time():
                raise UploadBusy("another request is writing to this upload")
            assert self.etag is not None
            self._claim(manifest, self.etag)
            return manifest
        except BaseException:
            self._unhold()
            raise

    def _claim(self, manifest: Manifest, etag: str) -> None:
        self.etag = etag
        claimed = msgspec.structs.replace(
            manifest, holder=self.holder, until=time.time() + self.lease
        )
        self._put(claimed, IfMatch=etag)
        self.claimed_from = etag

    def renew(self) -> None:
        """Push the claim's expiry further out (``UploadBusy`` if it was taken over).

        The manifest is read and rewritten under one hold of the mutex: a renewal must never
        write back a version that the work thread replaced meanwhile (that would undo a
        cut or an append).
        """
        with self._mutex:
            last, etag = self.last, self.etag
            if last is None or etag is None or self.removed:
                return
            if not self.holder or last.holder != self.holder:
                return
            renewed = msgspec.structs.replace(last, until=time.time() + self.lease)
            self._put_now(renewed, {"IfMatch": etag})

    def holds(self, margin: float = 0.0) -> bool:
        """True while this request's claim runs at least ``margin`` seconds more.

        Judged from the claim's expiry as this request last wrote it: once renewals fail,
        another process may take the upload over when it lapses.
        """
        last = self.last
        return (
            bool(self.holder)
            and not self.removed
            and last is not None
            and last.holder == self.holder
            and last.until > time.time() + margin
        )

    def release(self, manifest: Manifest | None = None) -> None:
        """Record ``manifest`` (else the manifest as claimed) and give the claim up.

        A manifest already removed (the upload completed or was discarded) needs no release.
        ``UploadBusy`` if the claim was lost meanwhile (nothing is recorded then).
        """
        try:
            final = manifest if manifest is not None else self.last
            if final is not None and not self.removed:
                self._commit_released(final)
                assert self.etag is not None
                assert self.last is not None
                _released.put(self.folder, self.etag, self.last)
        finally:
            self._unhold()

    def let_go(self) -> None:
        """Forget this process's hold without writing anything (the claim lapses in S3)."""
        self._unhold()

    def _unhold(self) -> None:
        with _local_lock:
            _local_holds.discard(self.folder)

    def _put(self, manifest: Manifest, **condition: str) -> None:
        if self.holder and manifest.holder:
            manifest = msgspec.structs.replace(manifest, until=time.time() + self.lease)
        with self._mutex:
            self._put_now(manifest, condition)

    def _put_now(self, manifest: Manifest, condition: dict[str, str]) -> None:
        if "IfMatch" in condition:
            condition = {"IfMatch": self.etag or condition["IfMatch"]}
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
            if "IfMatch" in condition and is_missing(exc):
                raise ObjectNotFound("the upload was completed or discarded meanwhile") from None
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
        with self._mutex:  # a renewal under way finishes first; later ones write nothing
            self.removed = True
        _released.drop(self.folder)
        refused: list[dict[str, str]] = []
        try:
            doomed = [
                entry
                for entry in self._stored(versions=bucket_versioned(self.client, self.bucket))
                if keep is None or entry["Key"] != self.folder + keep
            ]
            for start in range(0, len(doomed), 1000):
                done = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": doomed[start : start + 1000], "Quiet": True},
                )
                refused += done.get("Errors", [])
        except Exception as exc:
            raise storage_error("removing the upload's staging objects", exc) from exc
        if refused:
            codes = sorted({str(entry.get("Code", "")) for entry in refused})
            raise StorageError(
                f"S3 kept {len(refused)} of the upload's staging objects "
                f"({', '.join(codes)}); the bucket may have a default retention rule"
            )

    def _stored(self, *, versions: bool) -> list[dict[str, str]]:
        """Every object in the staging folder (with every version, in a versioned bucket)."""
        if not versions:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.folder
            )
            return [{"Key": entry["Key"]} for page in pages for entry in page.get("Contents", [])]
        pages = self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=self.folder
        )
        return [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for page in pages
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]


_versioning: dict[tuple[int, str], tuple[bool, float]] = {}
VERSIONING_CHECKED_FOR = 300.0


def bucket_versioned(client: Any, bucket: str) -> bool:
    """Whether ``bucket`` has (or had) versioning on: listing versions costs more than keys.

    Asked once every few minutes per client and bucket; a bucket never goes back to
    unversioned, and one versioned meanwhile only has old manifest versions left behind
    until the next check. When S3 will not say, versions are listed (the thorough way).
    """
    key = (id(client), bucket)
    known = _versioning.get(key)
    if known is not None and known[1] > time.monotonic():
        return known[0]
    try:
        status = client.get_bucket_versioning(Bucket=bucket).get("Status")
    except Exception:
        return True
    versioned = status in {"Enabled", "Suspended"}
    _versioning[key] = (versioned, time.monotonic() + VERSIONING_CHECKED_FOR)
    return versioned


# --- claims -----------------------------------------------------------------------------------

_local_holds: set[str] = set()
_local_lock = threading.Lock()


class _Released:
    """The manifests this process released last (by folder), with their ETags.

    A later claim from this process starts from one of these with a conditional write
    instead of reading the manifest first. Bounded (a manifest of a large upload lists
    thousands of parts); an upload forgotten here is only read again.
    """

    def __init__(self, limit: int = 64) -> None:
        self._lock = threading.Lock()
        self._manifests: OrderedDict[str, tuple[str, Manifest]] = OrderedDict()
        self._limit = limit

    def get(self, folder: str) -> tuple[str, Manifest] | None:
        with self._lock:
            return self._manifests.get(folder)

    def put(self, folder: str, etag: str, manifest: Manifest) -> None:
        with self._lock:
            self._manifests[folder] = (etag, manifest)
            self._manifests.move_to_end(folder)
            while len(self._manifests) > self._limit:
                self._manifests.popitem(last=False)

    def drop(self, folder: str) -> None:
        with self._lock:
            self._manifests.pop(folder, None)


_released = _Released()
