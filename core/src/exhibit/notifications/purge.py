"""Erasing a witness's contact details once their request no longer needs them.

A request that was submitted, expired or revoked keeps the witness's number and address
for the force's ``contact_purge_days``; then this sweep erases them from the request and
from every message sent for it (recipient and body, which holds the link), audited. The
status history of each message stays, so the officer still sees what happened.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.notifications.models import Notification
from exhibit.uploads.models import EvidenceRequest, RequestState

log = logging.getLogger(__name__)

PURGE_JOB = "core.purge_contacts"
_CLOSED = (RequestState.SUBMITTED, RequestState.EXPIRED, RequestState.REVOKED)


def closed_at(request: EvidenceRequest) -> datetime:
    """When the request stopped needing the witness's contact details."""
    if request.state == RequestState.SUBMITTED and request.submitted_at is not None:
        return request.submitted_at
    if request.state == RequestState.REVOKED and request.revoked_at is not None:
        return request.revoked_at
    return request.expires_at


async def purge_contacts(job: JobContext) -> None:
    """Erase the contact details of every closed request past its force's keeping period."""
    platform = job.platform
    now = utcnow()
    async with platform.system_session() as session:
        candidates = (
            await session.execute(
                select(EvidenceRequest, Force.contact_purge_days)
                .join(Force, Force.id == EvidenceRequest.force_id)
                .where(
                    EvidenceRequest.state.in_(_CLOSED),
                    or_(
                        EvidenceRequest.recipient_phone.is_not(None),
                        EvidenceRequest.recipient_email.is_not(None),
                    ),
                )
            )
        ).all()
        due = [
            (request.id, request.force_id)
            for request, days in candidates
            if closed_at(request) + timedelta(days=days) <= now
        ]
    for request_id, force_id in due:
        await purge_request_contacts(job, request_id, force_id)
    if due:
        log.info("erased the contact details of %s closed requests", len(due))


async def purge_request_contacts(job: JobContext, request_id: int, force_id: int) -> None:
    """Erase one request's contact details and its messages' recipients and bodies."""
    async with force_transaction(job.platform, force_id) as tx:
        request = await tx.session.get(EvidenceRequest, request_id, with_for_update=True)
        if request is None or request.state not in _CLOSED:
            return
        request.recipient_phone = None
        request.recipient_email = None
        await tx.session.execute(
            update(Notification)
            .where(Notification.request_id == request_id)
            .values(recipient_encrypted=None, body_encrypted=None)
        )
        await audit.record(
            tx.session,
            force_id,
            actor="system",
            action="request.contacts_purged",
            object_type="request",
            object_id=request_id,
        )
