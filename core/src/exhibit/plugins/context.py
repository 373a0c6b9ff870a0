"""What the core hands to plugins: snapshots of its records and the context of a provider.

Hooks receive frozen snapshots, never ORM objects, so a plugin cannot change a record
behind the core's back and the API stays stable when the tables change.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from exhibit.settings import Settings


class ForceInfo(msgspec.Struct, frozen=True):
    """The force an event or a provider acts for."""

    id: int
    slug: str
    name: str


class ItemInfo(msgspec.Struct, frozen=True):
    """An evidence item as received: the original's identity and what is known of it."""

    id: int
    case_id: int
    submission_id: int | None
    original_filename: str
    size: int
    sha256: str
    sniffed_type: str
    review_state: str
    exhibit_reference: str | None
    received_at: datetime


class SubmissionInfo(msgspec.Struct, frozen=True):
    """A witness's completed submission."""

    id: int
    request_id: int
    reference: str
    completed_at: datetime | None


class ShareInfo(msgspec.Struct, frozen=True):
    """A share of items with a partner."""

    id: int
    case_id: int
    target: str
    recipient: str
    item_ids: tuple[int, ...]
    expires_at: datetime


class AuditEventInfo(msgspec.Struct, frozen=True):
    """An audit event as written to the force's chain."""

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str
    hash: str


@dataclass(frozen=True)
class UploadCandidate:
    """A completed upload awaiting acceptance: validators may read its bytes.

    ``open`` returns a fresh stream of the stored bytes each time it is called.
    """

    filename: str
    declared_type: str
    sniffed_type: str
    size: int
    sha256: str
    open: Callable[[], AsyncIterator[bytes]]


@dataclass(frozen=True)
class ProviderContext:
    """Everything a provider (storage backend, notifier, processor, share target) is built with.

    ``config`` is the plugin's configuration Struct for this force (None for a plugin that
    declares none, and for the built-in providers).
    """

    settings: Settings
    force: ForceInfo
    plugin_id: str
    config: Any
