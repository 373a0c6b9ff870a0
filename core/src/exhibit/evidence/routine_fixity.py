"""Routine fixity: each day, each force's store is checked against one slice of its items.

A periodic job (``QUEUE_SAMPLES_JOB``, hourly) queues, for each force that has none yet
today (UTC), one ``SAMPLE_JOB`` for that force and day. The sample job runs the quick check
of the day's slice of the force's items and of their derivatives (``fixity.check_sample``),
audited as ``evidence.fixity_checked`` by ``system`` with mode ``sample`` and the slice: any
30 days in a row check every item, and a court sees the routine checks in the chain. What it
finds reaches the operator through ``/metrics`` (``exhibit.operations.figures``).

A store that cannot be asked makes the job fail, and the job system tries it again after
``SAMPLE_BACKOFF``: nothing is audited or counted until a run gets to the end. The day is
fixed when the job is queued, so a retry after midnight still checks the slice it was for.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from exhibit.db.base import utcnow
from exhibit.evidence.fixity import Slice, check_sample
from exhibit.forces.models import Force
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.models import Job
from exhibit.jobs.queue import Backoff, enqueue
from exhibit.platform import Platform

log = logging.getLogger(__name__)

QUEUE_SAMPLES_JOB = "core.queue_fixity_samples"
SAMPLE_JOB = "core.check_fixity_sample"
SAMPLE_BACKOFF = Backoff(first=timedelta(minutes=1), cap=timedelta(hours=1))
SAMPLE_ATTEMPTS = 10
"""With ``SAMPLE_BACKOFF``, a store may be out of reach for two to four hours before the
day's sample gives up (and the job shows as failed)."""
ACTOR = "system"


async def queue_samples(platform: Platform, today: date) -> list[int]:
    """Queue ``today``'s sample for each force that has none queued today; return their ids."""
    midnight = datetime.combine(today, time(), tzinfo=UTC)
    async with platform.system_session() as session:
        forces = set(await session.scalars(select(Force.id)))
        queued = set(
            await session.scalars(
                select(Job.force_id).where(Job.kind == SAMPLE_JOB, Job.created_at >= midnight)
            )
        )
        due = sorted(forces - queued)
        for force_id in due:
            await enqueue(
                session,
                SAMPLE_JOB,
                {"day": today.isoformat()},
                force_id=force_id,
                max_attempts=SAMPLE_ATTEMPTS,
            )
        await session.commit()
    return due


async def queue_samples_job(job: JobContext) -> None:
    """Job handler for ``QUEUE_SAMPLES_JOB`` (safe to run twice at once: at worst a force's
    sample runs twice that day)."""
    await queue_samples(job.platform, utcnow().date())


async def check_sample_job(job: JobContext) -> None:
    """Job handler for ``SAMPLE_JOB``: the sample of the job's force for the job's day.

    Raises ``FixityCheckFailed`` when a store cannot be asked, so that the job is retried.
    """
    if job.force_id is None:
        raise ValueError(f"job {job.id} ({job.kind}) names no force")
    sample = Slice.of_day(date.fromisoformat(job.payload["day"]))
    # Each finding's ids go into the audit event; the log gets a summary only.
    report = await check_sample(
        job.platform, job.force_id, sample, actor=ACTOR, on_finding=lambda _: None
    )
    if not report.ok:
        found = ", ".join(f"{count} {problem}" for problem, count in report.counts.items() if count)
        log.warning(
            "fixity sample of force %s (slice %s of %s): %s",
            report.force.slug,
            sample.index,
            sample.of,
            found,
        )
