"""Looking behind the store: objects as S3 holds them."""

import hashlib
from typing import Any


def object_sha256(s3: Any, bucket: str, key: str) -> tuple[int, str]:
    """Size and SHA-256 of an object, streamed straight from S3."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: body.read(1024 * 1024), b""):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()


def multipart_uploads(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """The multipart uploads in progress in ``bucket``."""
    uploads: list[dict[str, Any]] = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return uploads


def staged_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Keys left in the staging folders under ``prefix``."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}.exhibit-staging/")
    return [entry["Key"] for entry in listed.get("Contents", [])]
