"""The share-target contract: deliver a share to a partner (a portal, a drop location)."""

from typing import ClassVar, Protocol, runtime_checkable

import msgspec

from exhibit.plugins.context import ShareInfo


class DeliveryReport(msgspec.Struct, frozen=True):
    """What a share target did with a share: ``delivered`` or not, and a reference."""

    delivered: bool
    reference: str | None = None
    detail: str = ""


@runtime_checkable
class ShareTarget(Protocol):
    """Makes a share available to its recipient. ``key`` names the target.

    The constructor takes one ``ProviderContext``. ``deliver`` runs in a job and may be
    retried, so it must be safe to call twice for the same share.
    """

    key: ClassVar[str]

    async def deliver(self, share: ShareInfo) -> DeliveryReport:
        """Deliver (or publish) the share and report the result."""
        ...

    async def revoke(self, share: ShareInfo) -> None:
        """Withdraw the share at once."""
        ...
