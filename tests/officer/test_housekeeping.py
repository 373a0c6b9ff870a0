"""The periodic job that deletes expired sessions and stale lock-out rows."""

from datetime import timedelta

from sqlalchemy import func, select, update

from exhibit.accounts.housekeeping import CLEAN_JOB
from exhibit.accounts.lockout import ALL_CLIENTS_WINDOW, SignInLockout, record_failure
from exhibit.db.base import utcnow
from exhibit.jobs.periodic import schedule_periodic
from exhibit.jobs.worker import PERIODIC_JOBS, Worker
from exhibit.platform import Platform
from exhibit.web.sessions import DatabaseStore, WebSession


async def test_the_job_forgets_expired_sessions_and_stale_lock_outs(platform: Platform) -> None:
    store = DatabaseStore(platform.sessions)
    await store.set("live", b"x", expires_in=3600)
    await store.set("gone", b"y", expires_in=3600)
    async with platform.system_session() as session:
        await record_failure(session, "old@kent.test", "203.0.113.5")
        await record_failure(session, "recent@kent.test", "203.0.113.5")
        await session.execute(
            update(SignInLockout)
            .where(SignInLockout.failures == 1)
            .values(first_failed_at=utcnow() - ALL_CLIENTS_WINDOW - timedelta(minutes=1))
        )
        await record_failure(session, "recent@kent.test", "203.0.113.5")  # a fresh count
        await session.execute(
            update(WebSession)
            .where(WebSession.data == b"y")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    assert CLEAN_JOB in PERIODIC_JOBS
    assert CLEAN_JOB in await schedule_periodic(platform.sessions, {CLEAN_JOB: timedelta(hours=1)})
    while await Worker(platform).run_once():
        pass

    assert await store.get("live") == b"x"
    async with platform.system_session() as session:
        sessions = await session.scalar(select(func.count()).select_from(WebSession))
        lockouts = await session.scalar(select(func.count()).select_from(SignInLockout))
    assert (sessions, lockouts) == (1, 2)  # recent@: its count at this client and at all
