"""Imports every core model so that the metadata is complete (for Alembic and tests)."""

from exhibit.accounts.lockout import SignInLockout
from exhibit.accounts.models import ApiToken, User
from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case
from exhibit.db.base import Base
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.models import Force, ForcePlugin, PluginFailure
from exhibit.jobs.models import Job
from exhibit.notifications.models import Notification, NotificationStatusChange
from exhibit.ratelimit.models import RateLimitWindow
from exhibit.sharing.models import Share, ShareItem
from exhibit.uploads.models import EvidenceRequest, Submission, Upload
from exhibit.web.sessions import WebSession

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Case",
    "Derivative",
    "EvidenceItem",
    "EvidenceRequest",
    "Force",
    "ForcePlugin",
    "Job",
    "Notification",
    "NotificationStatusChange",
    "PluginFailure",
    "RateLimitWindow",
    "Share",
    "ShareItem",
    "SignInLockout",
    "Submission",
    "Upload",
    "User",
    "WebSession",
]
