"""Imports every core model so that the metadata is complete (for Alembic and tests)."""

from exhibit.accounts.lockout import SignInLockout
from exhibit.accounts.models import ApiToken, PasswordSetup, User
from exhibit.api.idempotency.models import IdempotencyKey
from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case
from exhibit.cases.visits import CaseVisit
from exhibit.db.base import Base
from exhibit.evidence.models import Category, Derivative, DisposalRequest, EvidenceItem
from exhibit.forces.models import Force, ForcePlugin, PluginFailure
from exhibit.jobs.models import Job
from exhibit.media.models import MediaHash, MediaProcessing
from exhibit.notifications.models import Notification, NotificationStatusChange
from exhibit.ratelimit.models import RateLimitWindow
from exhibit.sharing.models import (
    PartnerAccount,
    Share,
    ShareDelivery,
    ShareItem,
    SigningKey,
)
from exhibit.uploads.models import EvidenceRequest, Submission, Upload
from exhibit.web.sessions import WebSession

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Case",
    "CaseVisit",
    "Category",
    "Derivative",
    "DisposalRequest",
    "EvidenceItem",
    "EvidenceRequest",
    "Force",
    "ForcePlugin",
    "IdempotencyKey",
    "Job",
    "MediaHash",
    "MediaProcessing",
    "Notification",
    "NotificationStatusChange",
    "PartnerAccount",
    "PasswordSetup",
    "PluginFailure",
    "RateLimitWindow",
    "Share",
    "ShareDelivery",
    "ShareItem",
    "SignInLockout",
    "SigningKey",
    "Submission",
    "Upload",
    "User",
    "WebSession",
]
