"""Messages whose delivery ended without an outcome: the officer is told, not left waiting.

A message's delivery job records every outcome itself (sent, failed for now, failed for
good). If the job ends without one, the message would show "sending" for ever with no
alert: a worker that died during the last attempt (the queue then gives the job up), or a
fault in the job itself on its last attempt. This sweep finds messages still on their way
for which no delivery job is queued or running, and records them as failed for good with
what is known, so that the case page asks the officer to act, audited as any failure is.
"""

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.models import Job, JobStatus
from exhibit.notifications.delivery import fail_permanently
from exhibit.notifications.models import DeliveryStatus, Notification
from exhibit.notifications.service import DELIVER_JOB
from exhibit.platform import Platform

log = logging.getLogger(__name__)

SETTLE_JOB = "core.settle_stranded_messages"
ON_THEIR_WAY = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.FAILED_TEMPORARILY)
STRANDED_REASON = (
    "delivery stopped without an outcome (the sending process ended during its last "
    "attempt): the message may not have reached the witness"
)


async def settle_stranded_messages(platform: Platform) -> int:
    """Record every message on its way without a live delivery job as failed; how many."""
    # Messages first, jobs second: a message and its job are committed together, so one
    # read as on its way here has its job among the live ones below unless the job ended.
    async with platform.system_session() as session:
        candidates = (
            await session.execute(
                select(Notification.id, Notification.force_id).where(
                    Notification.status.in_(ON_THEIR_WAY)
                )
            )
        ).all()
        if not candidates:
            return 0
        live = await _with_live_jobs(session)
    settled = 0
    for notification_id, force_id in candidates:
        if notification_id not in live:
            settled += await _settle(platform, force_id, notification_id)
    if settled:
        log.warning("%s messages ended without an outcome; their officers are told", settled)
    return settled


async def settle_stranded_messages_job(job: JobContext) -> None:
    """Job handler for ``SETTLE_JOB`` (safe to run twice at once)."""
    await settle_stranded_messages(job.platform)


async def _with_live_jobs(session: AsyncSession) -> set[int]:
    """Ids of the messages that a queued or running delivery job will still deal with."""
    payloads = await session.scalars(
        select(Job.payload).where(
            Job.kind == DELIVER_JOB, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
        )
    )
    return {int(p["notification_id"]) for p in payloads if "notification_id" in p}


async def _settle(platform: Platform, force_id: int, notification_id: int) -> int:
    async with force_transaction(platform, force_id) as tx:
        notification = await tx.session.get(Notification, notification_id, with_for_update=True)
        if notification is None or notification.status not in ON_THEIR_WAY:
            return 0
        if notification_id in await _with_live_jobs(tx.session):  # re-queued meanwhile
            return 0
        await fail_permanently(tx.session, notification, None, STRANDED_REASON)
    return 1
