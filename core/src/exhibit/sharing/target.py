"""The share-target contract: deliver a share to a partner (a portal, a drop location).

A share target is a class a plugin contributes (``exhibit_share_targets``). When a share is
created the core queues its delivery as a job of kind ``<plugin id>.deliver_share``
(``delivery_job_kind``); the plugin registers ``exhibit.sharing.delivery.deliver_share_job``
under that kind (``exhibit_job_handlers``). The job keeps the share's delivery status and is
retried with back-off when the target raises.

Optional capabilities, checked with ``isinstance``:

* ``BundleReceiver``: the target takes the share's signed bundle (a ZIP the core writes to a
  temporary file), e.g. to push it to the partner's S3 bucket or SFTP server;
* ``RecipientDirectory``: the target knows named recipients (e.g. CPS units a force
  configured), so an officer can choose a unit instead of typing an address.
"""

from collections.abc import Mapping
from pathlib import Path
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


@runtime_checkable
class BundleReceiver(Protocol):
    """A target that is handed the share's signed bundle to deliver."""

    async def push_bundle(self, share: ShareInfo, bundle: Path, name: str) -> DeliveryReport:
        """Deliver the bundle file (to be stored under ``name``); safe to call twice."""
        ...


@runtime_checkable
class RecipientDirectory(Protocol):
    """A target that offers named recipients (e.g. a force's CPS units)."""

    def named_recipients(self) -> Mapping[str, str]:
        """Recipient names mapped to the email address a share to them is made out to."""
        ...


def delivery_job_kind(plugin_id: str) -> str:
    """The job kind under which a plugin's share targets are delivered."""
    return f"{plugin_id}.deliver_share"
