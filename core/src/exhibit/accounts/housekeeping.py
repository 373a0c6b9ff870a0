"""The periodic job that forgets what signing in leaves behind: expired officer sessions
and lock-out counts that no longer matter."""

from sqlalchemy import delete

from exhibit.accounts import lockout
from exhibit.db.base import utcnow
from exhibit.jobs.handlers import JobContext
from exhibit.web.sessions import WebSession

CLEAN_JOB = "core.clean_sign_in_state"


async def clean_sign_in_state(job: JobContext) -> None:
    """Delete web sessions whose time has passed and stale lock-out rows."""
    async with job.platform.system_session() as session:
        await session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
        await lockout.forget_stale(session)
        await session.commit()
