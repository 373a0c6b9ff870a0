"""The durable job queue: enqueue in the caller's transaction, claim under a lease, finish.

A job is taken by one worker at a time. Claiming marks it ``running`` with a lease
(``locked_by``, ``locked_until``) in one committed transaction; on PostgreSQL the candidate row
is locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers pass over each other's rows, and
the UPDATE repeats the "is it due" test, so a job is never handed out twice. On SQLite every
transaction begins with ``BEGIN IMMEDIATE``, which serialises claims outright.

If a worker dies, its lease runs out and another worker claims the job again. Only the worker
named in ``locked_by`` may renew, complete or fail a job, so a worker that lost its lease
cannot overwrite the outcome of the worker that took over.

Times come from the clock of the process that writes them: workers on several hosts need
synchronised clocks (NTP), as lease expiry compares one host's time with another's.

Payloads may hold personal data: nothing here logs them, only a job's id and kind.
"""

import logging
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exhibit.db.base import utcnow
from exhibit.db.scoping import CrossForceWrite, scoped_force_id
from exhibit.jobs.models import Job, JobStatus
from exhibit.log_redaction import redact

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(seconds=2)
"""Delay before the first retry; each further retry waits twice as long as the one before."""
RETRY_CAP = timedelta(minutes=15)
"""The longest a failed job waits before its next attempt."""
MAX_ERROR_LENGTH = 2000
"""Longest error text kept in ``last_error``."""
LEASE_LOST_ERROR = "worker lost: its lease expired during the final attempt"

_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Backoff:
    """How long a failed job waits before its next attempt, by how many attempts failed.

    The wait starts at ``first`` and doubles after each failure up to ``cap``. A random
    share of it (``jitter``, from 0 to 1) is taken off, so that jobs that failed together
    do not all come back at the same moment.
    """

    first: timedelta
    cap: timedelta
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.first <= timedelta(0) or self.cap < self.first or not 0 <= self.jitter <= 1:
            raise ValueError("a back-off needs 0 < first <= cap and a jitter from 0 to 1")

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt, before the next one."""
        doublings = min(max(attempts - 1, 0), 30)  # bounded, so a large count cannot overflow
        ceiling: timedelta = min(self.cap, self.first * 2**doublings)
        return ceiling * (1 - self.jitter * _random.random())


DEFAULT_BACKOFF = Backoff(first=RETRY_BASE, cap=RETRY_CAP)
"""For background work whose failures are faults worth a few quick retries (media, sweeps).

Work that waits out an outside service (message delivery) gives its kind a longer back-off
in ``exhibit.jobs.worker.JOB_BACKOFFS``.
"""


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run one claimed job: a snapshot, detached from any session."""

    id: int
    kind: str
    force_id: int | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    locked_until: datetime


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    force_id: int | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job to ``session``'s transaction; it becomes visible when the caller commits.

    Queue work in the same transaction as the change that needs it, so that both are kept or
    both are lost. In a force's session the job belongs to that force unless ``force_id`` says
    otherwise, which is refused (``CrossForceWrite``) just as for any other row.
    ``run_at`` (timezone-aware) delays the first attempt. The job is flushed, so its id is set.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    session_force = scoped_force_id(session)
    if session_force is not None and force_id not in (None, session_force):
        raise CrossForceWrite(f"job for force {force_id} queued in force {session_force}'s session")
    job = Job(
        kind=kind,
        payload=payload,
        force_id=force_id if force_id is not None else session_force,
        run_at=run_at or utcnow(),
        max_attempts=max_attempts,
    )
    session.add(job)
    await session.flush()
    log.debug("queued job %s (%s)", job.id, kind)
    return job


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    worker_id: str,
    kinds: Collection[str],
    lease: timedelta,
) -> ClaimedJob | None:
    """Take the next due job of one of ``kinds`` for ``worker_id`` and hold it for ``lease``.

    Due means queued with ``run_at`` reached, or running under a lease that has expired (its
    worker died). The attempt count goes up by one. A job whose lease expired during its
    final attempt is not run again but marked failed. Returns None when nothing is due.
    """
    if not kinds:
        return None
    async with sessions() as session, session.begin():
        now = utcnow()
        while (candidate := await _next_due(session, kinds, now)) is not None:
            job_id, status, attempts, max_attempts = candidate
            if status is JobStatus.RUNNING and attempts >= max_attempts:
                await _give_up_lost_job(session, job_id, now)
                continue
            claimed = await _take(session, job_id, worker_id, now, now + lease)
            if claimed is not None:
                log.debug("worker %s claimed job %s (%s)", worker_id, job_id, claimed.kind)
                return claimed
    return None


async def renew_lease(
    sessions: async_sessionmaker[AsyncSession], job_id: int, worker_id: str, lease: timedelta
) -> bool:
    """Extend ``worker_id``'s lease on a running job to ``lease`` from now.

    Returns False if the worker no longer holds the job (another worker took it over).
    """
    async with sessions() as session, session.begin():
        renewed = await session.scalar(
            update(Job)
            .where(_held_by(job_id, worker_id))
            .values(locked_until=utcnow() + lease)
            .returning(Job.id)
        )
    return renewed is not None


async def complete(sessions: async_sessionmaker[AsyncSession], job_id: int, worker_id: str) -> bool:
    """Mark a job ``worker_id`` holds as succeeded.

    Returns False, changing nothing, if the worker no longer holds it.
    """
    async with sessions() as session, session.begin():
        done = await session.scalar(
            update(Job)
            .where(_held_by(job_id, worker_id))
            .values(
                status=JobStatus.SUCCEEDED,
                finished_at=utcnow(),
                locked_by=None,
                locked_until=None,
            )
            .returning(Job.kind)
        )
    if done is None:
        log.warning("worker %s no longer holds job %s; not marked succeeded", worker_id, job_id)
        return False
    return True


async def fail(
    sessions: async_sessionmaker[AsyncSession],
    job_id: int,
    worker_id: str,
    error: str,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> JobStatus | None:
    """Record that an attempt at a job ``worker_id`` holds failed with ``error``.

    The job is queued again after ``backoff``'s delay while it has attempts left, and
    otherwise marked failed for good. Returns the job's new status (queued or failed), or
    None, changing nothing, if the worker no longer holds it.
    """
    async with sessions() as session, session.begin():
        job = await session.scalar(select(Job).where(_held_by(job_id, worker_id)).with_for_update())
        if job is None:
            log.warning("worker %s no longer holds job %s; failure not recorded", worker_id, job_id)
            return None
        now = utcnow()
        job.last_error = redact(error)[:MAX_ERROR_LENGTH]
        job.locked_by = None
        job.locked_until = None
        if job.attempts < job.max_attempts:
            delay = backoff.delay(job.attempts)
            job.status = JobStatus.QUEUED
            job.run_at = now + delay
            log.info(
                "job %s (%s) attempt %s failed; retry in %.0f s",
                job.id,
                job.kind,
                job.attempts,
                delay.total_seconds(),
            )
        else:
            job.status = JobStatus.FAILED
            job.finished_at = now
            log.warning("job %s (%s) failed after %s attempts", job.id, job.kind, job.attempts)
        return job.status


def retry_delay(attempts: int) -> timedelta:
    """How long a job of the default back-off waits after its ``attempts``-th failure.

    Exponential from ``RETRY_BASE``, capped at ``RETRY_CAP``, with jitter (a random half of
    the delay) so that jobs that failed together do not all retry at the same moment.
    """
    return DEFAULT_BACKOFF.delay(attempts)


async def retry_failed(sessions: async_sessionmaker[AsyncSession], job_id: int) -> bool:
    """Queue a failed job again now, with a fresh set of attempts (for an operator).

    Its last error stays until the job next finishes. Returns False if the job is not failed.
    """
    async with sessions() as session, session.begin():
        kind = await session.scalar(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.FAILED)
            .values(status=JobStatus.QUEUED, attempts=0, run_at=utcnow(), finished_at=None)
            .returning(Job.kind)
        )
    if kind is None:
        return False
    log.info("job %s (%s) queued again by an operator", job_id, kind)
    return True


async def failed_jobs(session: AsyncSession, limit: int = 100) -> Sequence[Job]:
    """The jobs that ran out of attempts, most recently failed first."""
    result = await session.scalars(
        select(Job)
        .where(Job.status == JobStatus.FAILED)
        .order_by(Job.finished_at.desc(), Job.id.desc())
        .limit(limit)
    )
    return result.all()


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING, Job.locked_until < now),
    )


def _held_by(job_id: int, worker_id: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.locked_by == worker_id)


async def _next_due(
    session: AsyncSession, kinds: Collection[str], now: datetime
) -> tuple[int, JobStatus, int, int] | None:
    """The oldest due job, locked against other workers; locked rows are skipped, not awaited."""
    row = (
        await session.execute(
            select(Job.id, Job.status, Job.attempts, Job.max_attempts)
            .where(Job.kind.in_(kinds), _due(now))
            .order_by(Job.run_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    return None if row is None else (row.id, row.status, row.attempts, row.max_attempts)


async def _take(
    session: AsyncSession, job_id: int, worker_id: str, now: datetime, locked_until: datetime
) -> ClaimedJob | None:
    # The WHERE repeats the due test: if the row changed since it was read, nothing is taken.
    row = (
        await session.execute(
            update(Job)
            .where(Job.id == job_id, _due(now))
            .values(
                status=JobStatus.RUNNING,
                locked_by=worker_id,
                locked_until=locked_until,
                attempts=Job.attempts + 1,
            )
            .returning(Job.kind, Job.force_id, Job.payload, Job.attempts, Job.max_attempts)
        )
    ).first()
    if row is None:
        return None
    return ClaimedJob(
        id=job_id,
        kind=row.kind,
        force_id=row.force_id,
        payload=dict(row.payload),
        attempt=row.attempts,
        max_attempts=row.max_attempts,
        locked_until=locked_until,
    )


async def _give_up_lost_job(session: AsyncSession, job_id: int, now: datetime) -> None:
    kind = await session.scalar(
        update(Job)
        .where(Job.id == job_id, _due(now))
        .values(
            status=JobStatus.FAILED,
            last_error=LEASE_LOST_ERROR,
            finished_at=now,
            locked_by=None,
            locked_until=None,
        )
        .returning(Job.kind)
    )
    log.warning("job %s (%s) failed: %s", job_id, kind, LEASE_LOST_ERROR)
