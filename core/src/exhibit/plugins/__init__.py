"""The public API for plugin authors: everything a plugin imports from Exhibit is here.

    from exhibit.plugins import hookimpl

    @hookimpl
    async def exhibit_evidence_received(force, config, item):
        ...

The hooks themselves are documented in ``exhibit.plugins.hookspecs`` and in
``docs/plugins.md``.
"""

import pluggy

from exhibit.jobs.handlers import JobContext, JobHandler
from exhibit.media.processor import (
    DerivativeOutput,
    MediaProcessor,
    PerceptualHash,
    ProcessingFailed,
    ProcessingResult,
)
from exhibit.notifications.notifier import (
    DeliveryFailed,
    Notifier,
    OutboundMessage,
    Outcome,
    SendResult,
)
from exhibit.plugins.context import (
    AuditEventInfo,
    ForceInfo,
    ItemInfo,
    ProviderContext,
    ShareInfo,
    SubmissionInfo,
    UploadCandidate,
)
from exhibit.secrets import Secret
from exhibit.sharing.target import DeliveryReport, ShareTarget
from exhibit.storage.backend import HEAD_BYTES, StorageBackend, StoredObject

hookimpl = pluggy.HookimplMarker("exhibit")
"""Marks a function as the implementation of an Exhibit hook."""

__all__ = [
    "HEAD_BYTES",
    "AuditEventInfo",
    "DeliveryFailed",
    "DeliveryReport",
    "DerivativeOutput",
    "ForceInfo",
    "ItemInfo",
    "JobContext",
    "JobHandler",
    "MediaProcessor",
    "Notifier",
    "OutboundMessage",
    "Outcome",
    "PerceptualHash",
    "ProcessingFailed",
    "ProcessingResult",
    "ProviderContext",
    "Secret",
    "SendResult",
    "ShareInfo",
    "ShareTarget",
    "StorageBackend",
    "StoredObject",
    "SubmissionInfo",
    "UploadCandidate",
    "hookimpl",
]
