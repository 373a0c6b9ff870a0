"""The job that clears rate-limit windows nobody will look at again."""

from exhibit.jobs.handlers import JobContext
from exhibit.ratelimit.limiter import sweep

SWEEP_JOB = "core.sweep_rate_limits"


async def sweep_rate_limits(job: JobContext) -> None:
    """Delete windows older than a day."""
    async with job.platform.system_session() as session:
        await sweep(session)
        await session.commit()
