"""The daily job that gives SQLite's query planner its statistics (``sqlite_stat1``).

Without statistics SQLite guesses how many rows each index narrows a search to, and on some
joins guesses wrong. SQLite's advice for a long-lived application is to run
``PRAGMA optimize`` now and then, but before SQLite 3.46 (Debian 12 and the Python here ship
3.40) that pragma analyses only the tables that its own connection has already queried:
from a job's connection it does nothing, and the flag that makes it check every table
(``0x10000``) is newer. So the job runs ``ANALYZE`` itself, with ``analysis_limit`` so that
it samples each index rather than reading all of it (some milliseconds for an audit log of
200,000 events). PostgreSQL keeps its own statistics (autovacuum analyses each table as it
changes): there the job does nothing.
"""

from sqlalchemy.ext.asyncio import AsyncEngine

from exhibit.jobs.handlers import JobContext

ANALYZE_JOB = "core.gather_planner_statistics"
ANALYSIS_LIMIT = 400
"""Rows of each index that ``ANALYZE`` reads: SQLite's own docs suggest 100 to 1,000."""


async def gather_planner_statistics(engine: AsyncEngine) -> None:
    """On SQLite, analyse every table (sampling ``ANALYSIS_LIMIT`` rows of each index); on
    any other database, nothing."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        await connection.exec_driver_sql("ANALYZE")


async def gather_planner_statistics_job(job: JobContext) -> None:
    """The periodic job: the platform's database's statistics, as ``gather_planner_statistics``."""
    await gather_planner_statistics(job.platform.engine)
