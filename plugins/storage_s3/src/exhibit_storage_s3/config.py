"""A force's settings for keeping its evidence in S3 (the plugin's configuration Struct)."""

from typing import Literal

import msgspec

from exhibit.plugins import Secret

MiB = 1024 * 1024
MIN_PART_MIB = 5  # S3 refuses parts under 5 MiB, except the last one


class Config(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Where and how a force's evidence is kept in S3 or an S3-compatible store.

    ``access_key_id`` and ``secret_access_key`` are both given or both left out; left out,
    boto3's default credential chain (environment, profile, instance role) is used.
    ``encryption`` is ``SSE-S3`` (AES256 keys managed by S3), ``SSE-KMS`` (with
    ``kms_key_id``, or the account's default KMS key) or ``none`` (the bucket's default).
    ``object_lock_mode`` set means originals are written with that retention mode for
    ``object_lock_days`` days; the bucket must have Object Lock enabled (and no default
    retention rule, which would lock the plugin's staging objects too).
    """

    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: Secret | None = None
    encryption: Literal["none", "SSE-S3", "SSE-KMS"] = "SSE-S3"
    kms_key_id: str | None = None
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] | None = None
    object_lock_days: int = 0
    presigned_downloads: bool = False
    presigned_expiry_seconds: int = 300
    part_size_mib: int = 8
    abandoned_after_hours: int = 48
    lock_lease_seconds: int = 60
    max_attempts: int = 6

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, naming the field."""
        if not self.bucket:
            raise ValueError("bucket must be given")
        if self.prefix and not self.prefix.endswith("/"):
            raise ValueError("prefix must end with '/' (or be empty)")
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("give both access_key_id and secret_access_key, or neither")
        if self.kms_key_id and self.encryption != "SSE-KMS":
            raise ValueError("kms_key_id is only used with encryption SSE-KMS")
        if self.object_lock_mode and self.object_lock_days < 1:
            raise ValueError("object_lock_days must be at least 1 when object_lock_mode is set")
        if not MIN_PART_MIB <= self.part_size_mib <= 512:
            raise ValueError(f"part_size_mib must be {MIN_PART_MIB} to 512")
        if not 1 <= self.presigned_expiry_seconds <= 3600:
            raise ValueError("presigned_expiry_seconds must be 1 to 3600")
        if self.abandoned_after_hours < 1 or self.lock_lease_seconds < 5:
            raise ValueError("abandoned_after_hours >= 1 and lock_lease_seconds >= 5 are needed")
        if not 1 <= self.max_attempts <= 20:
            raise ValueError("max_attempts must be 1 to 20")

    @property
    def part_size(self) -> int:
        """Bytes per multipart part (every part but the last is exactly this long)."""
        return self.part_size_mib * MiB
