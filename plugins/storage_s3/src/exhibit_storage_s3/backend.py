"""The S3 storage backend: evidence objects in a force's bucket, written once.

Bytes of an upload go straight into an S3 multipart upload in parts of ``part_size``
bytes; what is left after the last whole part (the *tail*) is staged as small objects in
the bucket, so nothing is held in memory between requests and any process can continue
(see ``staging``). Parts wait in temporary files while they travel, so memory per append
is a few buffers whatever the part size; a request that ends on a part boundary is answered
while its parts are still on their way, and everything else waits for them (``writer``).

``complete`` sends the tail as the last part and completes the multipart upload with
``If-None-Match: *`` (an upload under ``part_size`` is written with one ``PutObject``), so
an existing object is never replaced. Every part and object carries its SHA-256 checksum,
which S3 verifies on receipt. The SHA-256 of the whole object is computed as the bytes
arrive when one process saw them all in order, else by reading the object back.

Originals (keys under ``originals/``) get the force's Object Lock retention when it is
configured. ``delete`` refuses, with the date, an object still under retention or legal hold.
"""

import asyncio
import base64
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO, Any, ClassVar, TypeVar

from exhibit.plugins.context import ProviderContext
from exhibit.storage.backend import (
    HEAD_BYTES,
    InvalidRange,
    ObjectExists,
    ObjectNotFound,
    OffsetMismatch,
    RetentionActive,
    StorageError,
    StoredObject,
    UploadBusy,
)
from exhibit.storage.capabilities import MAX_UPLOAD_CHUNK, Retention
from exhibit.storage.local import check_key
from exhibit_storage_s3 import hashes, writer
from exhibit_storage_s3.client import (
    error_code,
    http_status,
    is_missing,
    is_precondition_failed,
    s3_client,
    storage_error,
)
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import STAGING, Manifest, Part, Segment, Staging, staging_folder

READ_CHUNK = 1024 * 1024
ORIGINALS = "originals/"
UPLOAD_TAG = "exhibit-upload"
"""Object metadata naming the upload that wrote an object (to recognise a repeated complete)."""
T = TypeVar("T")
LOCK_GRACE = timedelta(days=1)
"""Added to the retention given at ``begin``: an upload may take a day to finish."""


class S3Storage:
    """Evidence objects in S3 for one force (see the module docstring)."""

    key: ClassVar[str] = "s3"

    def __init__(self, context: ProviderContext) -> None:
        config = context.config
        if not isinstance(config, Config):
            raise StorageError(
                f"force {context.force.slug!r} uses S3 storage but has no storage_s3 settings"
            )
        self.config = config
        self.bucket = config.bucket
        self._client: Any | None = None

    @property
    def client(self) -> Any:
        """The boto3 client (built on first use, shared in the process)."""
        if self._client is None:
            self._client = s3_client(self.config)
        return self._client

    @classmethod
    async def finish_writes(cls) -> None:
        """Wait until the parts this event loop has in flight have landed and been recorded."""
        await writer.finish_all()

    # --- writing ---------------------------------------------------------------------------

    async def begin(self, object_key: str) -> dict[str, Any]:
        """Start a multipart upload and its staging manifest; refuse a key already taken."""
        check_key(object_key)
        return await asyncio.to_thread(self._begin, object_key)

    async def append(
        self, object_key: str, state: dict[str, Any], offset: int, chunks: AsyncIterable[bytes]
    ) -> tuple[int, dict[str, Any]]:
        """Stream ``chunks`` into parts (and the tail) with the upload claimed.

        Whole parts may still be travelling when this returns (``writer``); every other
        operation on the upload waits for them to land and be recorded.
        """
        token = self._token(object_key, state)
        size, manifest = await writer.append(self, token, offset, chunks)
        return size, self._state_of(manifest, token, size)

    async def size(self, object_key: str, state: dict[str, Any]) -> int:
        """The size recorded in the upload's manifest (once parts in flight have landed)."""
        token = self._token(object_key, state)
        with contextlib.suppress(UploadBusy):  # an append under way: what is recorded so far
            await writer.settled(self, token)
        return (await asyncio.to_thread(self._staging(token).read)).size

    async def truncate(self, object_key: str, state: dict[str, Any], offset: int) -> dict[str, Any]:
        """Cut the upload back to ``offset`` bytes (dropping whole parts, re-staging the tail)."""
        token = self._token(object_key, state)
        await writer.settled(self, token)
        hashes.running.drop(token)
        manifest = await self._locked(token, self._truncate, offset)
        return self._state_of(manifest, token)

    async def complete(self, object_key: str, state: dict[str, Any]) -> StoredObject:
        """Assemble the object (never over an existing one); return its size and SHA-256."""
        token = self._token(object_key, state)
        await writer.settled(self, token)
        try:
            return await self._locked(token, self._complete, token, object_key)
        except ObjectNotFound:
            # The staging area is gone: an earlier call may have completed the object and
            # tidied up, and its caller died before recording it. That object is the answer.
            done = await asyncio.to_thread(self._completed_earlier, token, object_key)
            if done is None:
                raise
            size, digest = done
            return StoredObject(key=object_key, size=size, sha256=digest)

    async def abort(self, object_key: str, state: dict[str, Any]) -> None:
        """Abort the multipart upload and remove the staging objects (gone already: fine)."""
        token = self._token(object_key, state)
        await writer.settled(self, token)
        hashes.running.drop(token)
        try:
            await self._locked(token, self._abort)
        except ObjectNotFound:
            # The manifest is gone; the upload id in the state may still name live parts.
            upload_id = state.get("upload_id")
            await asyncio.to_thread(self._abort_unclaimed, token, object_key, upload_id)

    # --- reading ---------------------------------------------------------------------------

    async def read(
        self, object_key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Stream bytes ``start`` to ``end`` (exclusive) with one ranged GET."""
        check_key(object_key)
        size = (await asyncio.to_thread(self._head, object_key))["ContentLength"]
        stop = size if end is None else end
        if not 0 <= start <= stop <= size:
            raise InvalidRange(f"range {start}-{end} is outside {object_key!r} ({size} bytes)")
        if start == stop:
            return
        body = await asyncio.to_thread(self._get_body, object_key, f"bytes={start}-{stop - 1}")
        try:
            received = 0
            while True:
                data = await asyncio.to_thread(body.read, READ_CHUNK)
                if not data:
                    break
                received += len(data)
                yield data
            if received != stop - start:
                raise StorageError(
                    f"S3 sent {received} bytes of {object_key!r}, not {stop - start}"
                )
        finally:
            body.close()

    async def stat(self, object_key: str) -> StoredObject:
        """Size and SHA-256 of the object, read back from S3."""
        check_key(object_key)
        size, digest = await asyncio.to_thread(self._hash_object, object_key)
        return StoredObject(key=object_key, size=size, sha256=digest)

    async def delete(self, object_key: str) -> None:
        """Remove every version of the object; ``RetentionActive`` while it is locked."""
        check_key(object_key)
        await asyncio.to_thread(self._delete, object_key)

    # --- capabilities (exhibit.storage.capabilities) --------------------------------------

    async def presigned_get(self, object_key: str, filename: str | None = None) -> str | None:
        """A short-lived GET URL, or None when the force does not allow direct download."""
        check_key(object_key)
        if not self.config.presigned_downloads:
            return None
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._path(object_key)}
        if filename:
            safe = "".join(c for c in filename if c.isalnum() or c in "._- ")[:100] or "evidence"
            params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
        url: str = await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params=params,
            ExpiresIn=self.config.presigned_expiry_seconds,
        )
        return url

    def upload_chunk_size(self) -> int:
        """Whole parts, as many as fit in 64 MiB (``MAX_UPLOAD_CHUNK``; at least one part).

        A request that ends on a part boundary is answered while its last parts travel
        (``writer``); one that ends mid-part stages the rest in the bucket and reads it back.
        Every request also costs a round trip and the upload's lease in the database, during
        which no new part starts: fewer, larger requests keep parts flowing (bench/README.md).
        """
        part = self.config.part_size
        return part * max(1, MAX_UPLOAD_CHUNK // part)

    async def set_legal_hold(self, object_key: str, on: bool) -> None:
        """Place (or lift) a legal hold on the object's current version."""
        check_key(object_key)
        await asyncio.to_thread(self._set_legal_hold, object_key, on)

    async def retention(self, object_key: str) -> Retention:
        """The object's retention mode, date and legal hold as S3 reports them."""
        check_key(object_key)
        head = await asyncio.to_thread(self._head, object_key)
        return _retention_of(head)

    async def object_size(self, object_key: str) -> int:
        """The object's size as S3 reports it: one HEAD, no bytes read."""
        check_key(object_key)
        head = await asyncio.to_thread(self._head, object_key)
        return int(head["ContentLength"])

    async def list_objects(self, prefix: str) -> AsyncIterator[str]:
        """Keys under the force's prefix that start with ``prefix``, a page of up to 1,000
        per request; the staging folders of uploads in progress are left out."""
        pages = await asyncio.to_thread(self._pages, self.config.prefix + prefix)
        while (page := await asyncio.to_thread(_next_page, pages)) is not None:
            for entry in page.get("Contents", []):
                key = entry["Key"][len(self.config.prefix) :]
                if not key.startswith(STAGING):
                    yield key

    # --- internals -------------------------------------------------------------------------

    def _path(self, object_key: str) -> str:
        return self.config.prefix + object_key

    def _token(self, object_key: str, state: dict[str, Any]) -> str:
        check_key(object_key)
        token = state.get("token") if isinstance(state, dict) else None
        if (
            not isinstance(token, str)
            or len(token) != 32
            or not all(c in "0123456789abcdef" for c in token)
            or state.get("key") != object_key
        ):
            raise StorageError(f"upload state was not made by the S3 store for {object_key!r}")
        return token

    def _state_of(self, manifest: Manifest, token: str, size: int | None = None) -> dict[str, Any]:
        return {
            "token": token,
            "key": manifest.key,
            "upload_id": manifest.upload_id,
            "size": manifest.size if size is None else size,
            "parts": [[p.n, p.etag, p.size] for p in manifest.parts],
        }

    def _put_extra(self) -> dict[str, Any]:
        """Server-side encryption arguments for every object written."""
        if self.config.encryption == "SSE-S3":
            return {"ServerSideEncryption": "AES256"}
        if self.config.encryption == "SSE-KMS":
            extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
            if self.config.kms_key_id:
                extra["SSEKMSKeyId"] = self.config.kms_key_id
            return extra
        return {}

    def _lock_args(self, object_key: str, grace: timedelta) -> dict[str, Any]:
        if not self.config.object_lock_mode or not object_key.startswith(ORIGINALS):
            return {}
        until = datetime.now(UTC) + timedelta(days=self.config.object_lock_days) + grace
        return {"ObjectLockMode": self.config.object_lock_mode, "ObjectLockRetainUntilDate": until}

    def _staging(self, token: str) -> Staging:
        return Staging(
            self.client,
            self.bucket,
            staging_folder(self.config.prefix, token),
            self._put_extra(),
            lease=float(self.config.lock_lease_seconds),
        )

    async def _locked(self, token: str, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(staging, *args)`` in a thread with the upload claimed, claim renewed."""
        staging = self._staging(token)
        await asyncio.to_thread(staging.claim)
        renewing = asyncio.create_task(self._keep_renewing(staging))
        try:
            return await asyncio.shield(asyncio.to_thread(work, staging, *args))
        finally:
            renewing.cancel()
            await asyncio.shield(asyncio.to_thread(staging.release))

    async def _keep_renewing(self, staging: Staging) -> None:
        while True:
            await asyncio.sleep(self.config.lock_lease_seconds / 3)
            try:
                await asyncio.to_thread(staging.renew)
            except StorageError:
                return  # the manifest's conditional writes refuse a writer that lost its claim

    def _head(self, object_key: str) -> dict[str, Any]:
        try:
            head: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self._path(object_key)
            )
        except Exception as exc:
            if is_missing(exc):
                raise ObjectNotFound(f"no object under {object_key!r}") from None
            raise storage_error("looking up an object", exc) from exc
        return head

    def _pages(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        return iter(paginator.paginate(Bucket=self.bucket, Prefix=prefix))

    def _get_body(self, object_key: str, byte_range: str | None = None) -> Any:
        extra = {"Range": byte_range} if byte_range else {}
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self._path(object_key), **extra)
        except Exception as exc:
            if is_missing(exc):
                raise ObjectNotFound(f"no object under {object_key!r}") from None
            raise storage_error("reading an object", exc) from exc
        return got["Body"]

    def _hash_object(self, object_key: str) -> tuple[int, str]:
        body = self._get_body(object_key)
        hasher, size = hashlib.sha256(), 0
        try:
            for data in iter(lambda: body.read(READ_CHUNK), b""):
                hasher.update(data)
                size += len(data)
        finally:
            body.close()
        return size, hasher.hexdigest()

    def _begin(self, object_key: str) -> dict[str, Any]:
        try:
            self._head(object_key)
        except ObjectNotFound:
            pass
        else:
            raise ObjectExists(f"an object already exists under {object_key!r}")
        token = secrets.token_hex(16)
        try:
            created = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self._path(object_key),
                ChecksumAlgorithm="SHA256",
                Metadata={UPLOAD_TAG: token},
                **self._put_extra(),
                **self._lock_args(object_key, LOCK_GRACE),
            )
        except Exception as exc:
            raise storage_error("starting a multipart upload", exc) from exc
        manifest = Manifest(key=object_key, upload_id=created["UploadId"])
        self._staging(token).create(manifest)
        return self._state_of(manifest, token)

    def _upload_part(
        self,
        manifest: Manifest,
        number: int,
        body: bytes | IO[bytes],
        size: int,
        checksum: str | None = None,
    ) -> Part:
        """Send part ``number`` (``checksum``: its SHA-256 in base64, else botocore's)."""
        given = {"ChecksumSHA256": checksum} if checksum else {}
        try:
            sent = self.client.upload_part(
                Bucket=self.bucket,
                Key=self._path(manifest.key),
                UploadId=manifest.upload_id,
                PartNumber=number,
                Body=body,
                ContentLength=size,
                ChecksumAlgorithm="SHA256",
                **given,
                **self._sse_customer_args(),
            )
        except Exception as exc:
            if is_missing(exc):
                raise ObjectNotFound("the multipart upload is gone") from None
            raise storage_error(f"sending part {number}", exc) from exc
        return Part(n=number, etag=sent["ETag"], sha256=sent.get("ChecksumSHA256", ""), size=size)

    def _sse_customer_args(self) -> dict[str, Any]:
        return {}  # SSE-S3 and SSE-KMS are set on the multipart upload, not on each part

    def _truncate(self, staging: Staging, offset: int) -> Manifest:
        manifest = _claimed(staging)
        if not 0 <= offset <= manifest.size:
            raise OffsetMismatch(expected=manifest.size, given=offset)
        if offset == manifest.size:
            return manifest
        part_size = self.config.part_size
        whole = offset // part_size
        start = whole * part_size
        pool = sorted(manifest.tail + manifest.retained, key=lambda s: (s.offset, -s.size))
        chain: list[Segment] = []
        position = start
        while position < offset:
            found = next((s for s in pool if s.offset == position and s.size > 0), None)
            if found is None:
                raise StorageError(
                    f"cannot cut the upload back to byte {offset}: the bytes from {position} "
                    "were sent to S3 in a part by an earlier request and are not kept"
                )
            if found.end > offset:
                found = staging.put_segment(
                    position, staging.read_segment(found, offset - position)
                )
            chain.append(found)
            position = found.end
        kept_names = {s.name for s in chain}
        # Segments reaching past ``offset`` hold refused bytes: they leave the manifest (and
        # go with the staging folder), so a later cut can never pick them up again.
        retained = [
            s
            for s in manifest.tail + manifest.retained
            if s.name not in kept_names and s.end <= offset
        ]
        manifest = Manifest(
            key=manifest.key,
            upload_id=manifest.upload_id,
            size=offset,
            parts=[p for p in manifest.parts if p.n <= whole],
            tail=chain,
            retained=retained,
            created=manifest.created,
        )
        staging.commit(manifest)
        return manifest

    def _complete(self, staging: Staging, token: str, object_key: str) -> StoredObject:
        manifest = _claimed(staging)
        version = staging.claimed_from
        try:
            found = self._head(object_key)
        except ObjectNotFound:
            found = None
        first_bytes = b""
        if found is not None:
            if found.get("Metadata", {}).get(UPLOAD_TAG) != token:
                raise ObjectExists(f"an object already exists under {object_key!r}")
            # An earlier call completed it and stopped before tidying up: finish the job
            # (a small object was written whole: its multipart upload may still be open).
            size, digest = self._hash_object(object_key)
            self._abort_multipart(manifest.key, manifest.upload_id)
        else:
            tail = b"".join(staging.read_segment(s) for s in manifest.tail)
            if not manifest.parts:
                size, digest = len(tail), hashlib.sha256(tail).hexdigest()
                self._put_whole(object_key, token, tail, digest)
                self._abort_multipart(manifest.key, manifest.upload_id)
                first_bytes = tail[:HEAD_BYTES]
            else:
                self._complete_multipart(manifest, tail)
                size = manifest.size
                running = hashes.running.take(token, size, version)
                if running is not None:
                    digest, first_bytes = running.hexdigest(), running.head
                else:
                    digest = self._hash_object(object_key)[1]
            if size != manifest.size:
                raise StorageError(f"{object_key!r} holds {size} bytes, the upload {manifest.size}")
        self._ensure_retention(object_key)
        hashes.running.drop(token)
        staging.remove_all()
        return StoredObject(key=object_key, size=size, sha256=digest, head=first_bytes)

    def _completed_earlier(self, token: str, object_key: str) -> tuple[int, str] | None:
        """Size and SHA-256 of ``object_key`` if upload ``token`` wrote it, else None."""
        try:
            head = self._head(object_key)
        except ObjectNotFound:
            return None
        if head.get("Metadata", {}).get(UPLOAD_TAG) != token:
            return None
        size, digest = self._hash_object(object_key)
        self._ensure_retention(object_key)
        return size, digest

    def _put_whole(self, object_key: str, token: str, data: bytes, digest: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._path(object_key),
                Body=data,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode(),
                Metadata={UPLOAD_TAG: token},
                IfNoneMatch="*",
                **self._put_extra(),
                **self._lock_args(object_key, timedelta(0)),
            )
        except Exception as exc:
            if is_precondition_failed(exc):
                raise ObjectExists(f"an object already exists under {object_key!r}") from None
            raise storage_error("writing the object", exc) from exc

    def _complete_multipart(self, manifest: Manifest, tail: bytes) -> None:
        parts = list(manifest.parts)
        if tail:
            parts.append(self._upload_part(manifest, len(parts) + 1, tail, len(tail)))
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._path(manifest.key),
                UploadId=manifest.upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": p.n, "ETag": p.etag, "ChecksumSHA256": p.sha256}
                        if p.sha256
                        else {"PartNumber": p.n, "ETag": p.etag}
                        for p in parts
                    ]
                },
                IfNoneMatch="*",
            )
        except Exception as exc:
            if is_precondition_failed(exc):
                raise ObjectExists(f"an object already exists under {manifest.key!r}") from None
            if is_missing(exc):
                raise ObjectNotFound("the multipart upload is gone") from None
            raise storage_error("completing the multipart upload", exc) from exc

    def _ensure_retention(self, object_key: str) -> None:
        """Give a locked original its retention if the store did not apply it at creation."""
        wanted = self._lock_args(object_key, timedelta(0))
        if not wanted:
            return
        current = _retention_of(self._head(object_key))
        if current.until is not None and current.until >= wanted["ObjectLockRetainUntilDate"]:
            return
        try:
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=self._path(object_key),
                Retention={
                    "Mode": wanted["ObjectLockMode"],
                    "RetainUntilDate": wanted["ObjectLockRetainUntilDate"],
                },
            )
        except Exception as exc:
            raise storage_error("setting the object's retention", exc) from exc

    def _abort(self, staging: Staging) -> None:
        manifest = _claimed(staging)
        self._abort_multipart(manifest.key, manifest.upload_id)
        staging.remove_all()

    def _abort_unclaimed(self, token: str, object_key: str, upload_id: object) -> None:
        if isinstance(upload_id, str):
            self._abort_multipart(object_key, upload_id)
        self._staging(token).remove_all()

    def _abort_multipart(self, object_key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._path(object_key), UploadId=upload_id
            )
        except Exception as exc:
            if not is_missing(exc):
                raise storage_error("aborting the multipart upload", exc) from exc

    def _delete(self, object_key: str) -> None:
        head = self._head(object_key)
        retention = _retention_of(head)
        now = datetime.now(UTC)
        if retention.legal_hold:
            raise RetentionActive(f"{object_key!r} is under a legal hold and cannot be disposed of")
        if retention.until is not None and retention.until > now:
            raise RetentionActive(
                f"{object_key!r} is retained ({retention.mode}) until "
                f"{retention.until:%Y-%m-%d %H:%M} UTC and cannot be disposed of before then"
            )
        path = self._path(object_key)
        try:
            versions = [
                entry["VersionId"]
                for page in self.client.get_paginator("list_object_versions").paginate(
                    Bucket=self.bucket, Prefix=path
                )
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
                if entry["Key"] == path
            ]
            for version in versions or ["null"]:
                extra = {"VersionId": version} if version != "null" else {}
                self.client.delete_object(Bucket=self.bucket, Key=path, **extra)
        except Exception as exc:
            if error_code(exc) == "AccessDenied" or http_status(exc) == 403:
                raise RetentionActive(
                    f"S3 refused to delete {object_key!r}: it is still locked"
                ) from None
            raise storage_error("deleting an object", exc) from exc

    def _set_legal_hold(self, object_key: str, on: bool) -> None:
        try:
            self.client.put_object_legal_hold(
                Bucket=self.bucket,
                Key=self._path(object_key),
                LegalHold={"Status": "ON" if on else "OFF"},
            )
        except Exception as exc:
            if is_missing(exc):
                raise ObjectNotFound(f"no object under {object_key!r}") from None
            raise storage_error("setting a legal hold", exc) from exc


def _claimed(staging: Staging) -> Manifest:
    """The manifest as this request claimed it."""
    assert staging.last is not None
    return staging.last


def _next_page(pages: Iterator[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return next(pages, None)
    except Exception as exc:
        raise storage_error("listing objects", exc) from exc


def _retention_of(head: dict[str, Any]) -> Retention:
    until = head.get("ObjectLockRetainUntilDate")
    if isinstance(until, datetime) and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return Retention(
        mode=head.get("ObjectLockMode"),
        until=until if isinstance(until, datetime) else None,
        legal_hold=head.get("ObjectLockLegalHoldStatus") == "ON",
    )


def storage_backends() -> Sequence[type[S3Storage]]:
    """The backend classes this plugin offers."""
    return [S3Storage]
