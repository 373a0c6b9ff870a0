"""Maintenance that recurs: each kind is queued again once its interval has passed.

Any worker may schedule; if two do so at once the job simply runs twice, which every
periodic handler tolerates (they are sweeps).
"""

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exhibit.db.base import utcnow
from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.queue import enqueue


async def schedule_periodic(
    sessions: async_sessionmaker[AsyncSession], intervals: Mapping[str, timedelta]
) -> list[str]:
    """Queue each kind whose last run is older than its interval and is not already queued."""
    queued = []
    async with sessions() as session:
        for kind, interval in intervals.items():
            pending = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == kind, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
            )
            last = await session.scalar(select(func.max(Job.created_at)).where(Job.kind == kind))
            if pending or (last is not None and utcnow() - last < interval):
                continue
            await enqueue(session, kind, {}, max_attempts=3)
            queued.append(kind)
        await session.commit()
    return queued
