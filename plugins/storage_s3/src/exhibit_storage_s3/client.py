"""boto3 clients for a force's settings: retries with back-off, timeouts, one client per setting.

boto3 clients are thread-safe and slow to build, so each distinct configuration gets one
client per process, kept for the life of the process. Retries use botocore's ``standard``
mode: 5xx answers, throttling (``SlowDown``, 429, ``RequestTimeout``...) and connection
errors (reset, refused, read time-out) are retried up to ``max_attempts`` in all, with
exponential back-off and full jitter (base 1 s, capped at 20 s).

botocore is imported only when a client is built or an error is examined: it costs ~40 MiB
per process, which forces that keep their evidence elsewhere should not pay.
"""

import hashlib
import threading
from typing import Any

from exhibit.storage.backend import StorageError
from exhibit_storage_s3.config import Config

_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def s3_client(config: Config) -> Any:
    """The process's S3 client for ``config`` (built on first use)."""
    secret = config.secret_access_key.reveal() if config.secret_access_key else None
    # The cache key holds a digest of the secret, never the secret itself.
    digest = hashlib.sha256(secret.encode()).hexdigest() if secret else None
    cache_key = (
        config.endpoint_url,
        config.region,
        config.access_key_id,
        digest,
        config.max_attempts,
    )
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            client = _build(config, secret)
            _clients[cache_key] = client
        return client


def _build(config: Config, secret: str | None) -> Any:
    import botocore.session
    from botocore.config import Config as BotocoreConfig

    # botocore's own session: boto3 would add its resource layer (~3 MiB) for nothing.
    session = botocore.session.Session()
    return session.create_client(
        "s3",
        region_name=config.region or "us-east-1",
        endpoint_url=config.endpoint_url,
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=secret,
        config=BotocoreConfig(
            retries={"mode": "standard", "total_max_attempts": config.max_attempts},
            connect_timeout=10,
            read_timeout=120,
            max_pool_connections=32,
            # Checksums only where we ask for them (SHA-256), not botocore's default CRC32.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            # Every object body the store sends (parts, staged segments, manifests, whole objects)
            # carries its SHA-256 in a checksum header, which the signature covers and S3 verifies
            # against the body. Hashing the body again for the signature costs a pass over every
            # byte: botocore already skips it for such uploads over HTTPS; this skips it over plain
            # HTTP too (an S3-compatible store on a private network). The few small bodies without
            # a checksum of their own (the part list at completion) then rely on TLS, like the rest
            # of the request.
            s3={
                "payload_signing_enabled": False,
                "addressing_style": "path" if config.endpoint_url else "auto",
            },
        ),
    )


def error_code(exc: BaseException) -> str:
    """The S3 error code of a ``ClientError`` (``NoSuchKey``, ``412``...), else ''."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(
            error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        )
    return ""


def http_status(exc: BaseException) -> int:
    """The HTTP status of a ``ClientError``, else 0."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def is_missing(exc: BaseException) -> bool:
    """True for "no such key / upload" answers (404 and its codes)."""
    return error_code(exc) in {"NoSuchKey", "404", "NotFound", "NoSuchUpload", "NoSuchVersion"}


def is_precondition_failed(exc: BaseException) -> bool:
    """True when a conditional write (If-Match / If-None-Match) was refused."""
    return error_code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"} or (
        http_status(exc) in {409, 412}
    )


def storage_error(action: str, exc: BaseException) -> StorageError:
    """A ``StorageError`` naming what failed and S3's code (never credentials or data)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        return StorageError(f"S3 {action} failed: {error_code(exc)} (HTTP {http_status(exc)})")
    if isinstance(exc, BotoCoreError):
        return StorageError(f"S3 {action} failed: {type(exc).__name__}")
    return StorageError(f"S3 {action} failed: {exc}")
