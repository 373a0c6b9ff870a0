"""The worker: claims due jobs of the kinds it has handlers for and runs them one at a time.

On SQLite one worker runs inside the web process; on PostgreSQL any number of
``exhibit worker`` processes share the queue. While a handler runs, the worker renews its
lease, so a long job keeps its lease while a dead worker's job is soon taken over.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from datetime import timedelta

from exhibit.accounts.housekeeping import CLEAN_JOB, clean_sign_in_state
from exhibit.api.idempotency.sweep import SWEEP_JOB as KEYS_SWEEP_JOB
from exhibit.api.idempotency.sweep import forget_idempotency_keys
from exhibit.db.planner_statistics import ANALYZE_JOB, gather_planner_statistics_job
from exhibit.evidence.retention import RETENTION_JOB, dispose_of_expired_declined_job
from exhibit.evidence.routine_fixity import (
    QUEUE_SAMPLES_JOB,
    SAMPLE_BACKOFF,
    SAMPLE_JOB,
    check_sample_job,
    queue_samples_job,
)
from exhibit.jobs.handlers import JobContext, JobHandler
from exhibit.jobs.periodic import schedule_periodic
from exhibit.jobs.queue import (
    DEFAULT_BACKOFF,
    Backoff,
    ClaimedJob,
    claim,
    complete,
    fail,
    renew_lease,
)
from exhibit.media.pipeline import PROCESS_JOB, process_media
from exhibit.notifications.delivery import deliver_notification
from exhibit.notifications.purge import PURGE_JOB, purge_contacts
from exhibit.notifications.reminders import REMIND_JOB, remind_witnesses
from exhibit.notifications.service import DELIVER_JOB, DELIVERY_BACKOFF
from exhibit.notifications.stranded import SETTLE_JOB, settle_stranded_messages_job
from exhibit.platform import Platform
from exhibit.ratelimit.sweep import SWEEP_JOB, sweep_rate_limits
from exhibit.uploads.arrivals import ARRIVALS_JOB, tell_officer_of_arrivals
from exhibit.uploads.expiry import EXPIRE_JOB, expire_requests
from exhibit.uploads.tus.sweep import SWEEP_JOB as UPLOAD_SWEEP_JOB
from exhibit.uploads.tus.sweep import sweep_abandoned_uploads_job

log = logging.getLogger(__name__)

# The core's own background work; plugins add theirs through exhibit_job_handlers.
CORE_JOB_HANDLERS: Mapping[str, JobHandler] = {
    CLEAN_JOB: clean_sign_in_state,
    DELIVER_JOB: deliver_notification,
    EXPIRE_JOB: expire_requests,
    SWEEP_JOB: sweep_rate_limits,
    UPLOAD_SWEEP_JOB: sweep_abandoned_uploads_job,
    PROCESS_JOB: process_media,
    PURGE_JOB: purge_contacts,
    REMIND_JOB: remind_witnesses,
    ARRIVALS_JOB: tell_officer_of_arrivals,
    RETENTION_JOB: dispose_of_expired_declined_job,
    SETTLE_JOB: settle_stranded_messages_job,
    KEYS_SWEEP_JOB: forget_idempotency_keys,
    QUEUE_SAMPLES_JOB: queue_samples_job,
    SAMPLE_JOB: check_sample_job,
    ANALYZE_JOB: gather_planner_statistics_job,
}
# Kinds that wait longer than DEFAULT_BACKOFF between attempts: a message waits out a
# provider's outage, a fixity sample a store's, where a media or sweep job's fault is worth
# a few quick retries.
JOB_BACKOFFS: Mapping[str, Backoff] = {DELIVER_JOB: DELIVERY_BACKOFF, SAMPLE_JOB: SAMPLE_BACKOFF}
# Sweeps the core runs on its own, and how often.
PERIODIC_JOBS: Mapping[str, timedelta] = {
    CLEAN_JOB: timedelta(hours=1),
    EXPIRE_JOB: timedelta(minutes=5),
    SWEEP_JOB: timedelta(hours=1),
    UPLOAD_SWEEP_JOB: timedelta(minutes=15),
    PURGE_JOB: timedelta(hours=1),
    REMIND_JOB: timedelta(minutes=15),
    RETENTION_JOB: timedelta(hours=1),
    SETTLE_JOB: timedelta(minutes=15),
    KEYS_SWEEP_JOB: timedelta(hours=1),
    QUEUE_SAMPLES_JOB: timedelta(hours=1),
    ANALYZE_JOB: timedelta(days=1),
}
SCHEDULE_EVERY = 60.0

DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_POLL_INTERVAL = 1.0
"""Seconds an idle worker waits before looking for due jobs again."""


class Worker:
    """Runs jobs from the queue with the handlers of a platform's plugins.

    ``handlers`` adds handlers by kind (the core's own jobs); a kind may have one handler
    only. Each worker has its own id (host, process and a random part) that names it as the
    holder of the jobs it runs.
    """

    def __init__(
        self,
        platform: Platform,
        handlers: Mapping[str, JobHandler] | None = None,
        *,
        lease: timedelta = DEFAULT_LEASE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self.platform = platform
        self.handlers = _merge_handlers(platform, handlers or {})
        # The core's sweeps and the plugins' (exhibit_periodic_jobs).
        self.periodic = {**PERIODIC_JOBS, **platform.plugins.periodic_jobs}
        self.lease = lease
        self.poll_interval = poll_interval
        self.id = f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(4)}"

    async def run_once(self) -> bool:
        """Claim one due job and run it to its outcome; False if no job was due."""
        job = await claim(self.platform.sessions, self.id, self.handlers.keys(), self.lease)
        if job is None:
            return False
        await self._run(job)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Run jobs until ``stop`` is set, waiting ``poll_interval`` whenever none is due.

        Once ``stop`` is set the job in hand is finished and the method returns.
        """
        next_schedule = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                if loop.time() >= next_schedule:
                    await schedule_periodic(self.platform.sessions, self.periodic)
                    next_schedule = loop.time() + SCHEDULE_EVERY
                ran = await self.run_once()
            except Exception as exc:
                # The queue itself is unreachable (database down): wait, then try again.
                log.error("worker %s cannot reach the job queue: %s", self.id, type(exc).__name__)
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_interval)

    async def _run(self, job: ClaimedJob) -> None:
        context = JobContext(
            id=job.id,
            kind=job.kind,
            force_id=job.force_id,
            payload=job.payload,
            attempt=job.attempt,
            platform=self.platform,
        )
        keeper = asyncio.create_task(self._keep_lease(job.id))
        try:
            await self.handlers[job.kind](context)
        except Exception as exc:
            # The exception's text may quote personal data: the log gets its type only, the
            # job row (readable by operators) its repr.
            log.info("job %s (%s) raised %s", job.id, job.kind, type(exc).__name__)
            backoff = JOB_BACKOFFS.get(job.kind, DEFAULT_BACKOFF)
            await fail(self.platform.sessions, job.id, self.id, repr(exc), backoff)
        else:
            await complete(self.platform.sessions, job.id, self.id)
        finally:
            keeper.cancel()
            await asyncio.wait([keeper])

    async def _keep_lease(self, job_id: int) -> None:
        """Renew the lease every third of its length until cancelled or the lease is lost."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                renewed = await renew_lease(self.platform.sessions, job_id, self.id, self.lease)
            except Exception as exc:
                log.warning("job %s: lease not renewed: %s", job_id, type(exc).__name__)
                continue
            if not renewed:
                log.warning("worker %s lost its lease on job %s", self.id, job_id)
                return


async def run_worker_until_stopped(
    platform: Platform,
    stop: asyncio.Event,
    handlers: Mapping[str, JobHandler] | None = None,
) -> None:
    """Run a worker for ``platform`` until ``stop`` is set (``exhibit worker``, or in-app)."""
    worker = Worker(platform, handlers)
    log.info("worker %s started for %s job kinds", worker.id, len(worker.handlers))
    await worker.run(stop)
    log.info("worker %s stopped", worker.id)


def _merge_handlers(platform: Platform, extra: Mapping[str, JobHandler]) -> dict[str, JobHandler]:
    handlers = {kind: provided.provider for kind, provided in platform.plugins.job_handlers.items()}
    for kind, handler in {**CORE_JOB_HANDLERS, **extra}.items():
        if kind in handlers:
            raise ValueError(f"job kind {kind!r} already has a handler")
        handlers[kind] = handler
    return handlers
