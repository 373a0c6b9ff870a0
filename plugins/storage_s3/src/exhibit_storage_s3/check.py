"""The settings check: can this force's bucket be used as configured?

It tells an administrator, in words, when the bucket is missing, the credentials are wrong
or lack access, Object Lock is expected but off, or a default retention rule would lock the
plugin's own staging objects. Exhibit runs it as the plugin's ``exhibit_check_settings``:
the admin page's Check button, ``exhibit force check SLUG``, and when a process starts.
"""

import asyncio
import secrets
from typing import Any

from exhibit_storage_s3.client import error_code, http_status, s3_client
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import STAGING

_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
}


async def check_bucket(config: Config) -> list[str]:
    """What is wrong with ``config``'s bucket (an empty list when nothing is)."""
    return await asyncio.to_thread(_check, config)


def _check(config: Config) -> list[str]:
    client = s3_client(config)
    bucket = config.bucket
    try:
        # ListObjectsV2 rather than HeadBucket: a HEAD answer has no body to name the error.
        client.list_objects_v2(Bucket=bucket, Prefix=config.prefix, MaxKeys=1)
    except Exception as exc:
        return [_access_problem(exc, config)]
    problems: list[str] = []
    problems.extend(_lock_problems(client, config))
    probe = f"{config.prefix}{STAGING}check-{secrets.token_hex(8)}"
    try:
        written = client.put_object(Bucket=bucket, Key=probe, Body=b"", ChecksumAlgorithm="SHA256")
        version = written.get("VersionId")
        extra = {"VersionId": version} if version else {}
        client.delete_object(Bucket=bucket, Key=probe, **extra)
    except Exception as exc:
        problems.append(
            f"cannot write to bucket {bucket!r} under {config.prefix or '(no prefix)'}: "
            f"{error_code(exc) or type(exc).__name__}; the credentials need s3:PutObject and "
            "s3:DeleteObject (and s3:DeleteObjectVersion on a versioned bucket)"
        )
    return problems


def _access_problem(exc: BaseException, config: Config) -> str:
    code, status = error_code(exc), http_status(exc)
    where = f" at {config.endpoint_url}" if config.endpoint_url else ""
    if code in ("NoSuchBucket", "404") or status == 404:
        return f"bucket {config.bucket!r} does not exist{where}: create it or correct 'bucket'"
    if code in _CREDENTIAL_CODES:
        return (
            f"the credentials were refused ({code}): check access_key_id and "
            "secret_access_key (or the default credential chain)"
        )
    if code == "AccessDenied" or status == 403:
        return (
            f"access to bucket {config.bucket!r} was denied: the credentials are valid but "
            "lack s3:ListBucket on it (or the bucket belongs to another account)"
        )
    if code:
        return f"bucket {config.bucket!r} could not be reached: {code} (HTTP {status})"
    return f"S3{where} could not be reached: {type(exc).__name__}"


def _lock_problems(client: Any, config: Config) -> list[str]:
    try:
        lock = client.get_object_lock_configuration(Bucket=config.bucket)
        settings = lock.get("ObjectLockConfiguration", {})
    except Exception as exc:
        if error_code(exc) not in ("ObjectLockConfigurationNotFoundError", "404"):
            return [f"cannot read the bucket's Object Lock settings: {error_code(exc)}"]
        settings = {}
    enabled = settings.get("ObjectLockEnabled") == "Enabled"
    problems = []
    if config.object_lock_mode and not enabled:
        problems.append(
            f"Object Lock is expected ({config.object_lock_mode}, {config.object_lock_days} "
            f"days) but bucket {config.bucket!r} has it off: originals would not be write-once. "
            "Object Lock can only be turned on for a versioned bucket; or unset object_lock_mode"
        )
    if enabled and settings.get("Rule", {}).get("DefaultRetention"):
        problems.append(
            f"bucket {config.bucket!r} has a default retention rule: it would lock the "
            "plugin's staging objects too; remove the rule (originals get retention per object)"
        )
    return problems
