"""Link expiry: requests whose time ran out are marked expired, audited per force."""

from sqlalchemy import select

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.uploads.models import EvidenceRequest, RequestState

EXPIRE_JOB = "core.expire_requests"
_LIVE = (RequestState.CREATED, RequestState.SENT, RequestState.OPENED, RequestState.UPLOADING)


async def expire_requests(job: JobContext) -> None:
    """Mark every live request past its expiry as expired (links are refused regardless)."""
    platform = job.platform
    async with platform.system_session() as session:
        due = (
            await session.execute(
                select(EvidenceRequest.id, EvidenceRequest.force_id).where(
                    EvidenceRequest.state.in_(_LIVE), EvidenceRequest.expires_at <= utcnow()
                )
            )
        ).all()
    for request_id, force_id in due:
        async with force_transaction(platform, force_id) as tx:
            request = await tx.session.get(EvidenceRequest, request_id, with_for_update=True)
            if request is None or request.state not in _LIVE or request.expires_at > utcnow():
                continue
            request.state = RequestState.EXPIRED
            await audit.record(
                tx.session,
                force_id,
                actor="system",
                action="request.expired",
                object_type="request",
                object_id=request_id,
            )
