"""The daily job that gives SQLite's planner its statistics, and leaves PostgreSQL's alone."""

from datetime import timedelta

from sqlalchemy import select, text

from exhibit.db.planner_statistics import ANALYZE_JOB
from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.periodic import schedule_periodic
from exhibit.jobs.worker import PERIODIC_JOBS, Worker
from exhibit.platform import Platform
from tests.evidence.arrivals import arrived, png
from tests.fixtures.witness import make_scene


async def _sqlite_statistics(platform: Platform) -> set[tuple[str, str]]:
    """The (table, index) pairs that ``sqlite_stat1`` holds; empty if it does not exist."""
    async with platform.engine.connect() as connection:
        made = await connection.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        )
        if not made:
            return set()
        rows = await connection.execute(text("SELECT tbl, idx FROM sqlite_stat1"))
        return {(table, index) for table, index in rows}


async def _analysed_by_hand(platform: Platform) -> set[str]:
    """The tables that an ``ANALYZE`` statement (not autovacuum) has analysed."""
    async with platform.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        )
        return set(rows.scalars())


async def test_the_daily_job_gathers_sqlites_statistics_and_leaves_postgresqls_alone(
    platform: Platform,
) -> None:
    scene = await make_scene(platform)
    await arrived(platform, scene, png())
    on_sqlite = platform.engine.dialect.name == "sqlite"
    if on_sqlite:
        assert await _sqlite_statistics(platform) == set()  # nothing else analyses

    assert PERIODIC_JOBS[ANALYZE_JOB] == timedelta(days=1)
    assert await schedule_periodic(platform.sessions, {ANALYZE_JOB: timedelta(days=1)}) == [
        ANALYZE_JOB
    ]
    while await Worker(platform).run_once():
        pass

    async with platform.system_session() as session:
        job = await session.scalar(select(Job).where(Job.kind == ANALYZE_JOB))
    assert job is not None and job.status == JobStatus.SUCCEEDED
    if on_sqlite:
        gathered = await _sqlite_statistics(platform)
        assert ("audit_event", "ix_audit_event_force_object_seq") in gathered
        assert {"evidence_item", "evidence_request", "user_account"} <= {t for t, _ in gathered}
    else:
        assert await _analysed_by_hand(platform) == set()
