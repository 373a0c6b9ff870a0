"""A force's settings for keeping its evidence in S3 (the plugin's configuration Struct)."""

import re
from typing import Annotated, Literal

import msgspec

from exhibit.plugins import Secret

MiB = 1024 * 1024
MIN_PART_MIB = 5  # S3 refuses parts under 5 MiB, except the last one
MAX_LOCK_DAYS = 36_500  # S3's longest retention: 100 years
# What S3 has ever accepted: today's names are lower-case, 3-63 characters, but buckets made
# before 2018 (and some S3-compatible stores) may hold capitals and underscores, up to 255.
_BUCKET = re.compile(r"[A-Za-z0-9._-]{1,255}")


def _(title: str, description: str = "") -> msgspec.Meta:
    """A field's label and hint on the admin page."""
    return msgspec.Meta(title=title, description=description or None)


class Config(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Where and how a force's evidence is kept in S3 or an S3-compatible store.

    ``access_key_id`` and ``secret_access_key`` are both given or both left out; left out,
    boto3's default credential chain (environment, profile, instance role) is used.
    ``encryption`` is ``SSE-S3`` (AES256 keys managed by S3), ``SSE-KMS`` (with
    ``kms_key_id``, or the account's default KMS key) or ``none`` (the bucket's default).
    ``object_lock_mode`` set means originals are written with that retention mode for
    ``object_lock_days`` days; the bucket must have Object Lock enabled (and no default
    retention rule, which would lock the plugin's staging objects too).

    Saving checks the settings, not the bucket: the Check button below (or
    ``exhibit force check SLUG storage_s3``) tries them against the bucket.
    """

    bucket: Annotated[
        str, _("Bucket", "The bucket's name, as S3 shows it (letters, digits, . - _).")
    ]
    prefix: Annotated[
        str, _("Key prefix", "Where in the bucket this force's evidence goes, ending in /.")
    ] = ""
    region: Annotated[str | None, _("Region", "The bucket's region, like eu-west-2.")] = None
    endpoint_url: Annotated[
        str | None,
        _("Endpoint URL", "Only for an S3-compatible store other than AWS (https://...)."),
    ] = None
    access_key_id: Annotated[
        str | None,
        _("Access key ID", "With the secret access key; neither means the machine's own role."),
    ] = None
    secret_access_key: Annotated[Secret | None, _("Secret access key")] = None
    encryption: Annotated[
        Literal["none", "SSE-S3", "SSE-KMS"],
        _("Encryption", "SSE-S3 (keys managed by S3), SSE-KMS, or none (the bucket's default)."),
    ] = "SSE-S3"
    kms_key_id: Annotated[
        str | None, _("KMS key ID", "Only with SSE-KMS; the account's default key if empty.")
    ] = None
    object_lock_mode: Annotated[
        Literal["COMPLIANCE", "GOVERNANCE"] | None,
        _("Object Lock mode", "Originals are retained in this mode; the bucket needs Object Lock."),
    ] = None
    object_lock_days: Annotated[
        int, msgspec.Meta(ge=0, le=MAX_LOCK_DAYS, title="Object Lock retention (days)")
    ] = 0
    presigned_downloads: Annotated[
        bool,
        _("Presigned downloads", "Let browsers download straight from S3 by short-lived links."),
    ] = False
    presigned_expiry_seconds: Annotated[
        int, _("Presigned link lifetime (seconds)", "1 to 3600.")
    ] = 300
    part_size_mib: Annotated[int, _("Upload part size (MiB)", f"{MIN_PART_MIB} to 512.")] = 8
    abandoned_after_hours: Annotated[
        int,
        _(
            "Abandoned uploads removed after (hours)",
            "At least 1. Uploads no upload record knows are aborted once this old.",
        ),
    ] = 48
    lock_lease_seconds: Annotated[int, _("Upload lock lease (seconds)", "At least 5.")] = 60
    max_attempts: Annotated[int, _("Attempts per S3 request", "1 to 20.")] = 6

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, naming the field."""
        if not self.bucket:
            raise ValueError("bucket must be given")
        if not _BUCKET.fullmatch(self.bucket):
            raise ValueError("bucket must be a bucket name: letters, digits, dots, hyphens, _")
        if self.endpoint_url is not None and not self.endpoint_url.startswith(
            ("https://", "http://")
        ):
            raise ValueError("endpoint_url must be an http(s) URL")
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
