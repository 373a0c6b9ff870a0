"""The share targets ``share_cps`` offers: the prosecutor's portal, and a partner drop."""

import asyncio
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from exhibit.plugins.context import ProviderContext, ShareInfo
from exhibit.sharing.target import DeliveryReport
from exhibit_share_cps.config import S3Drop, ShareCpsConfig
from exhibit_share_cps.s3_drop import push_to_s3
from exhibit_share_cps.sftp_drop import push_to_sftp


class _CpsTarget:
    """What both targets share: the force's configuration and its named CPS units."""

    key: ClassVar[str]

    def __init__(self, context: ProviderContext) -> None:
        self.config: ShareCpsConfig = context.config or ShareCpsConfig()

    def named_recipients(self) -> Mapping[str, str]:
        """The CPS units the force configured, by name."""
        return dict(self.config.units)

    async def revoke(self, share: ShareInfo) -> None:
        """Access is checked on every request, so a revoked share is refused at once."""


class CpsPortal(_CpsTarget):
    """The share is published in the prosecutor's partner area; nothing leaves the force."""

    key = "cps_portal"

    async def deliver(self, share: ShareInfo) -> DeliveryReport:
        """Publishing needs no transfer: the share is live in the partner area."""
        return DeliveryReport(delivered=True, reference=f"portal:share:{share.id}")


class CpsDrop(_CpsTarget):
    """The share's signed bundle is pushed to the partner's S3 bucket or SFTP server."""

    key = "cps_drop"

    async def deliver(self, share: ShareInfo) -> DeliveryReport:
        """A drop needs the bundle: the core calls ``push_bundle`` instead."""
        raise RuntimeError("cps_drop delivers bundles; use push_bundle")

    async def push_bundle(self, share: ShareInfo, bundle: Path, name: str) -> DeliveryReport:
        """Upload the bundle to the configured drop location (the same name on a retry)."""
        drop = self.config.drop
        if drop is None:
            raise RuntimeError("share_cps has no drop location configured for this force")
        digest = await asyncio.to_thread(_sha256, bundle)
        if isinstance(drop, S3Drop):
            location = await push_to_s3(drop, bundle, name, digest)
        else:
            location = await push_to_sftp(drop, bundle, name, digest)
        return DeliveryReport(delivered=True, reference=f"{location} sha256={digest}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
