"""The durable job queue and its worker, on SQLite and PostgreSQL, with real workers."""

import asyncio
import sys
import textwrap
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from exhibit.db.base import utcnow
from exhibit.db.scoping import CrossForceWrite
from exhibit.forces.service import create_force
from exhibit.jobs.handlers import JobContext, JobHandler
from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.queue import (
    DEFAULT_BACKOFF,
    LEASE_LOST_ERROR,
    MAX_ERROR_LENGTH,
    RETRY_BASE,
    RETRY_CAP,
    Backoff,
    claim,
    complete,
    enqueue,
    fail,
    failed_jobs,
    renew_lease,
    retry_delay,
    retry_failed,
)
from exhibit.jobs.worker import Worker, run_worker_until_stopped
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.cli import exhibit_env

KIND = "test.work"
LEASE = timedelta(minutes=1)


async def _enqueue(platform: Platform, count: int = 1, **options: Any) -> list[int]:
    async with platform.system_session() as session:
        jobs = [await enqueue(session, KIND, {"n": n}, **options) for n in range(count)]
        await session.commit()
    return [job.id for job in jobs]


async def _job(platform: Platform, job_id: int) -> Job:
    async with platform.system_session() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


async def _set(platform: Platform, job_id: int, **values: Any) -> None:
    """Move a job's times by SQL, standing in for the clock running on."""
    async with platform.system_session() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(**values))
        await session.commit()


async def _succeed(_job: JobContext) -> None:
    return None


async def test_a_job_that_succeeds_is_marked_succeeded(platform: Platform) -> None:
    seen: list[JobContext] = []

    async def handler(job: JobContext) -> None:
        seen.append(job)

    [job_id] = await _enqueue(platform)
    worker = Worker(platform, {KIND: handler})

    assert await worker.run_once()
    assert not await worker.run_once()

    [context] = seen
    assert (context.id, context.kind, context.payload) == (job_id, KIND, {"n": 0})
    assert (context.attempt, context.force_id) == (1, None)
    assert context.platform is platform
    job = await _job(platform, job_id)
    assert (job.status, job.attempts, job.locked_by, job.locked_until) == (
        JobStatus.SUCCEEDED,
        1,
        None,
        None,
    )
    assert job.finished_at is not None


async def test_a_job_is_kept_or_lost_with_the_transaction_that_queued_it(
    platform: Platform,
) -> None:
    async with platform.system_session() as session:
        await enqueue(session, KIND, {})
        await session.rollback()

    assert not await Worker(platform, {KIND: _succeed}).run_once()
    async with platform.system_session() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0


async def test_a_job_queued_in_a_forces_session_belongs_to_that_force(
    platform: Platform,
) -> None:
    async with platform.system_session() as session:
        force_id = (await create_force(session, slug="kent", name="Kent", actor="test")).id
        await session.commit()

    async with platform.force_session(force_id) as session:
        job = await enqueue(session, KIND, {})
        with pytest.raises(CrossForceWrite):
            await enqueue(session, KIND, {}, force_id=force_id + 1)
        await session.commit()

    assert job.force_id == force_id
    claimed = await claim(platform.sessions, "worker-a", [KIND], LEASE)
    assert claimed is not None
    assert claimed.force_id == force_id


async def test_a_job_of_a_kind_no_worker_knows_is_left_queued(platform: Platform) -> None:
    async with platform.system_session() as session:
        job = await enqueue(session, "nobody.knows", {})
        await session.commit()

    assert not await Worker(platform, {KIND: _succeed}).run_once()
    assert await claim(platform.sessions, "worker-a", [], LEASE) is None
    assert (await _job(platform, job.id)).status is JobStatus.QUEUED


async def test_a_failing_job_is_retried_with_back_off_then_failed_then_retried_by_hand(
    platform: Platform,
) -> None:
    attempts: list[int] = []
    broken = True

    async def flaky(job: JobContext) -> None:
        attempts.append(job.attempt)
        if broken:
            raise ValueError("boom")

    worker = Worker(platform, {KIND: flaky})
    [job_id] = await _enqueue(platform, max_attempts=3)

    for attempt in (1, 2):
        failed_at = utcnow()
        assert await worker.run_once()
        job = await _job(platform, job_id)
        assert (job.status, job.attempts, job.locked_by) == (JobStatus.QUEUED, attempt, None)
        assert job.last_error == "ValueError('boom')"
        # At least half the doubled delay, however the jitter falls.
        assert job.run_at >= failed_at + RETRY_BASE * 2 ** (attempt - 1) / 2
        assert not await worker.run_once(), "not due before its back-off"
        await _set(platform, job_id, run_at=utcnow())

    assert await worker.run_once()
    job = await _job(platform, job_id)
    assert (job.status, job.attempts, job.last_error) == (
        JobStatus.FAILED,
        3,
        "ValueError('boom')",
    )
    assert job.finished_at is not None
    assert not await worker.run_once()
    async with platform.system_session() as session:
        assert [j.id for j in await failed_jobs(session)] == [job_id]

    assert await retry_failed(platform.sessions, job_id)
    assert not await retry_failed(platform.sessions, job_id), "only a failed job is requeued"
    job = await _job(platform, job_id)
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.QUEUED, 0, None)

    broken = False
    assert await worker.run_once()
    assert (await _job(platform, job_id)).status is JobStatus.SUCCEEDED
    assert attempts == [1, 2, 3, 1]
    async with platform.system_session() as session:
        assert list(await failed_jobs(session)) == []


async def test_a_long_error_is_cut_short(platform: Platform) -> None:
    async def verbose(_job: JobContext) -> None:
        raise RuntimeError("x" * 10 * MAX_ERROR_LENGTH)

    [job_id] = await _enqueue(platform, max_attempts=1)
    assert await Worker(platform, {KIND: verbose}).run_once()

    job = await _job(platform, job_id)
    assert job.status is JobStatus.FAILED
    assert job.last_error is not None
    assert len(job.last_error) == MAX_ERROR_LENGTH
    assert job.last_error.startswith("RuntimeError('xxx")


def test_the_retry_delay_doubles_with_jitter_up_to_the_cap() -> None:
    for attempts in range(1, 40):
        ceiling = min(RETRY_CAP, RETRY_BASE * 2 ** min(attempts - 1, 30))
        for _ in range(20):
            assert ceiling / 2 <= retry_delay(attempts) <= ceiling
    assert retry_delay(1) <= timedelta(seconds=2)
    assert retry_delay(10_000) >= RETRY_CAP / 2
    assert len({retry_delay(5) for _ in range(20)}) > 1, "jittered"


async def test_an_expired_lease_is_taken_over_and_its_first_holder_cannot_finish(
    platform: Platform,
) -> None:
    sessions = platform.sessions
    [job_id] = await _enqueue(platform)

    first = await claim(sessions, "worker-a", [KIND], LEASE)
    assert first is not None
    assert (first.id, first.attempt) == (job_id, 1)
    assert await claim(sessions, "worker-b", [KIND], LEASE) is None, "the lease is held"

    await _set(platform, job_id, locked_until=utcnow() - timedelta(seconds=1))
    second = await claim(sessions, "worker-b", [KIND], LEASE)
    assert second is not None
    assert (second.id, second.attempt) == (job_id, 2)

    assert not await complete(sessions, job_id, "worker-a")
    assert await fail(sessions, job_id, "worker-a", "too late") is None
    assert not await renew_lease(sessions, job_id, "worker-a", LEASE)
    job = await _job(platform, job_id)
    assert (job.status, job.locked_by, job.last_error) == (JobStatus.RUNNING, "worker-b", None)

    assert await renew_lease(sessions, job_id, "worker-b", LEASE)
    assert await complete(sessions, job_id, "worker-b")
    assert (await _job(platform, job_id)).status is JobStatus.SUCCEEDED
    assert not await complete(sessions, job_id, "worker-b"), "finished once only"


async def test_a_job_whose_worker_died_on_its_last_attempt_is_marked_failed(
    platform: Platform,
) -> None:
    [job_id] = await _enqueue(platform, max_attempts=1)
    assert await claim(platform.sessions, "worker-a", [KIND], LEASE) is not None
    await _set(platform, job_id, locked_until=utcnow() - timedelta(seconds=1))

    assert await claim(platform.sessions, "worker-b", [KIND], LEASE) is None

    job = await _job(platform, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.FAILED, 1, None)
    assert job.last_error == LEASE_LOST_ERROR
    async with platform.system_session() as session:
        assert [j.id for j in await failed_jobs(session)] == [job_id]


async def test_a_long_job_keeps_its_lease(platform: Platform) -> None:
    async def slow(_job: JobContext) -> None:
        await asyncio.sleep(3.0)

    [job_id] = await _enqueue(platform)
    worker = Worker(platform, {KIND: slow}, lease=timedelta(seconds=1))
    running = asyncio.create_task(worker.run_once())
    await asyncio.sleep(2.0)  # past the first lease: only renewals keep it

    assert await claim(platform.sessions, "worker-b", [KIND], LEASE) is None
    assert await running
    job = await _job(platform, job_id)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)


async def test_the_worker_runs_due_jobs_until_stopped(platform: Platform) -> None:
    stop = asyncio.Event()
    done: list[int] = []

    async def handler(job: JobContext) -> None:
        done.append(job.id)
        if len(done) == 3:
            stop.set()

    job_ids = await _enqueue(platform, 3)
    await asyncio.wait_for(run_worker_until_stopped(platform, stop, {KIND: handler}), 10)

    assert sorted(done) == job_ids
    for job_id in job_ids:
        assert (await _job(platform, job_id)).status is JobStatus.SUCCEEDED


async def test_a_stopped_worker_finishes_the_job_in_hand_and_takes_no_other(
    platform: Platform,
) -> None:
    started, release, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def held(_job: JobContext) -> None:
        started.set()
        await release.wait()

    first, second = await _enqueue(platform, 2)
    running = asyncio.create_task(Worker(platform, {KIND: held}, poll_interval=0.05).run(stop))
    await asyncio.wait_for(started.wait(), 5)
    stop.set()
    release.set()
    await asyncio.wait_for(running, 5)

    assert (await _job(platform, first)).status is JobStatus.SUCCEEDED
    assert (await _job(platform, second)).status is JobStatus.QUEUED


# Concurrency: every run of a job inserts its id into a table where it is the primary key, so
# a job run twice fails its second run (and is seen as attempts > 1 or a missing success).

JOB_RUN_TABLE = "CREATE TABLE job_run (job_id INTEGER PRIMARY KEY, worker VARCHAR(200) NOT NULL)"
MANY = 200


async def _create_job_run_table(platform: Platform) -> None:
    async with platform.system_session() as session:
        await session.execute(text(JOB_RUN_TABLE))
        await session.commit()


def _recording(worker_name: str) -> JobHandler:
    async def record(job: JobContext) -> None:
        async with job.platform.system_session() as session:
            await session.execute(
                text("INSERT INTO job_run (job_id, worker) VALUES (:job_id, :worker)"),
                {"job_id": job.id, "worker": worker_name},
            )
            await session.commit()

    return record


async def _drain(worker: Worker) -> None:
    while await worker.run_once():
        pass


async def _assert_each_job_ran_once(platform: Platform, job_ids: list[int]) -> dict[str, int]:
    """Check every job succeeded on its first attempt; return how many each worker ran."""
    async with platform.system_session() as session:
        jobs = (await session.execute(select(Job.id, Job.status, Job.attempts))).all()
        runs = (await session.execute(text("SELECT job_id, worker FROM job_run"))).all()
    assert sorted(job.id for job in jobs) == sorted(job_ids)
    assert {(job.status, job.attempts) for job in jobs} == {(JobStatus.SUCCEEDED, 1)}
    assert sorted(run.job_id for run in runs) == sorted(job_ids)
    per_worker: dict[str, int] = {}
    for run in runs:
        per_worker[run.worker] = per_worker.get(run.worker, 0) + 1
    return per_worker


async def test_two_workers_never_run_the_same_job(platform: Platform, settings: Settings) -> None:
    await _create_job_run_table(platform)
    job_ids = await _enqueue(platform, MANY)
    # A second platform, so the second worker has its own engine and connections.
    other = Platform(settings, platform.plugins)
    try:
        workers = [
            Worker(platform, {KIND: _recording("a")}),
            Worker(other, {KIND: _recording("b")}),
        ]
        await asyncio.wait_for(asyncio.gather(*(_drain(w) for w in workers)), 60)
    finally:
        await other.close()

    per_worker = await _assert_each_job_ran_once(platform, job_ids)
    assert set(per_worker) == {"a", "b"}, "both workers took part"


WORKER_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from sqlalchemy import text
    from exhibit.jobs.worker import Worker
    from exhibit.platform import Platform
    from exhibit.plugins.manager import load_builtin_plugins
    from exhibit.settings import load_settings

    NAME = sys.argv[1]

    async def record(job):
        async with job.platform.system_session() as session:
            await session.execute(
                text("INSERT INTO job_run (job_id, worker) VALUES (:job_id, :worker)"),
                {"job_id": job.id, "worker": NAME},
            )
            await session.commit()

    async def main():
        platform = Platform(load_settings(), load_builtin_plugins())
        try:
            worker = Worker(platform, {"test.work": record})
            async with platform.system_session() as session:
                await session.execute(text("SELECT 1"))  # connected before the start signal
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            while await worker.run_once():
                pass
        finally:
            await platform.close()

    asyncio.run(main())
    """
)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_worker_processes_never_run_the_same_job(
    platform: Platform, settings: Settings
) -> None:
    await _create_job_run_table(platform)
    job_ids = await _enqueue(platform, MANY)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER_PROCESS,
            name,
            env=exhibit_env(settings),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for name in ("a", "b")
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
        # Both start together, so they compete for the same jobs.
        outputs = await asyncio.wait_for(
            asyncio.gather(*(process.communicate(b"go\n") for process in processes)), 60
        )
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr.decode()
    per_worker = await _assert_each_job_ran_once(platform, job_ids)
    assert set(per_worker) == {"a", "b"}, "both processes took part"


def test_a_backoff_doubles_from_its_first_wait_up_to_its_cap_less_its_jitter() -> None:
    backoff = Backoff(first=timedelta(seconds=30), cap=timedelta(minutes=30), jitter=0.2)
    for attempts in range(1, 40):
        ceiling = min(backoff.cap, backoff.first * 2 ** min(attempts - 1, 30))
        for _ in range(20):
            assert ceiling * 0.8 <= backoff.delay(attempts) <= ceiling
    steady = Backoff(first=timedelta(seconds=5), cap=timedelta(seconds=5), jitter=0)
    assert {steady.delay(n) for n in (1, 2, 10)} == {timedelta(seconds=5)}
    for first, cap, jitter in [(0, 10, 0.5), (10, 5, 0.5), (1, 10, 1.5)]:
        with pytest.raises(ValueError, match="back-off"):
            Backoff(first=timedelta(seconds=first), cap=timedelta(seconds=cap), jitter=jitter)


async def test_a_failed_job_waits_its_kinds_backoff_and_others_the_quick_default(
    platform: Platform,
) -> None:
    hourly = Backoff(first=timedelta(hours=1), cap=timedelta(hours=1), jitter=0)
    slow, quick = await _enqueue(platform, 2)
    waits = {}
    for job_id, backoff in ((slow, hourly), (quick, DEFAULT_BACKOFF)):
        claimed = await claim(platform.sessions, "worker-a", [KIND], LEASE)
        assert claimed is not None and claimed.id == job_id
        failed_at = utcnow()
        status = await fail(platform.sessions, job_id, "worker-a", "down", backoff)
        assert status is JobStatus.QUEUED
        waits[job_id] = (await _job(platform, job_id)).run_at - failed_at

    assert timedelta(minutes=59) <= waits[slow] <= timedelta(hours=1, seconds=1)
    assert waits[quick] <= RETRY_BASE + timedelta(seconds=1)
