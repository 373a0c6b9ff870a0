"""A force's configuration of ``share_cps``: its CPS units and, optionally, a drop location."""

import re
from typing import Annotated

import msgspec

from exhibit.plugins import Secret

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class S3Drop(
    msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, tag="s3", tag_field="kind"
):
    """The partner's S3 bucket (AWS or any S3-compatible store) that bundles are pushed to."""

    bucket: str
    access_key_id: str
    secret_access_key: Secret
    prefix: str = ""
    region: str = "eu-west-2"
    endpoint_url: str | None = None
    """For an S3-compatible store other than AWS (``https://...``)."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", self.bucket):
            raise ValueError(f"{self.bucket!r} is not a valid bucket name")
        if self.endpoint_url is not None and not self.endpoint_url.startswith(
            ("https://", "http://")
        ):
            raise ValueError("endpoint_url must be an http(s) URL")


class SftpDrop(
    msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, tag="sftp", tag_field="kind"
):
    """The partner's SFTP server that bundles are pushed to.

    ``host_key`` is the server's public host key (``ssh-ed25519 AAAA...``): the connection is
    refused unless the server proves it holds that key. Authenticate with ``private_key``
    (OpenSSH format) or ``password``.
    """

    host: str
    username: str
    host_key: str
    port: int = 22
    folder: str = "."
    private_key: Secret | None = None
    password: Secret | None = None

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError("port must be between 1 and 65535")
        if self.private_key is None and self.password is None:
            raise ValueError("give a private_key or a password for the SFTP server")
        if not self.host_key.startswith("ssh-") and not self.host_key.startswith("ecdsa-"):
            raise ValueError("host_key must be an OpenSSH public key line (ssh-ed25519 AAAA...)")


class ShareCpsConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """``units``: CPS units by name with the address shares to them go to; ``drop``: where
    the ``cps_drop`` target pushes bundles."""

    units: Annotated[
        dict[str, str],
        msgspec.Meta(
            title="CPS units",
            description='Each unit and the address its shares go to: {"SE": "se@cps.gov.uk"}.',
        ),
    ] = msgspec.field(default_factory=dict)
    drop: Annotated[
        S3Drop | SftpDrop | None,
        msgspec.Meta(
            title="Drop location", description="Where the cps_drop target pushes bundles."
        ),
    ] = None

    def __post_init__(self) -> None:
        for name, address in self.units.items():
            if not _EMAIL.match(address):
                raise ValueError(f"units: {name!r} has {address!r}, which is not an email address")
