"""The job that forgets ``Idempotency-Key`` answers once they are a day old."""

from exhibit.api.idempotency.claims import forget_old_keys
from exhibit.jobs.handlers import JobContext

SWEEP_JOB = "core.forget_idempotency_keys"


async def forget_idempotency_keys(job: JobContext) -> None:
    """Delete every force's keys kept longer than 24 hours."""
    async with job.platform.system_session() as session:
        await forget_old_keys(session)
        await session.commit()
