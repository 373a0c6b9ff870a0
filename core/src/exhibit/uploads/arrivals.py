"""Telling the requesting officer that evidence arrived: one note for a burst of files.

A witness often sends several files within minutes. Each file that arrives queues a job a
few minutes ahead; the first to run tells the officer about every file received and not yet
told of (marking them), and the later ones find nothing left to tell. The note names the
request and the case, never the link or the witness.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.queue import enqueue
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.uploads.models import EvidenceRequest, Upload

ARRIVALS_JOB = "core.tell_officer_of_arrivals"
ARRIVALS_PURPOSE = "evidence_arrived"
GATHER = timedelta(minutes=3)
"""How long after a file arrives the officer is told: files arriving meanwhile share a note."""


async def queue_arrival_note(session: AsyncSession, request_id: int) -> None:
    """Queue the note about a file that arrived for ``request_id`` (in ingest's transaction)."""
    await enqueue(session, ARRIVALS_JOB, {"request_id": request_id}, run_at=utcnow() + GATHER)


async def tell_officer_of_arrivals(job: JobContext) -> None:
    """Tell the requesting officer, in one e-mail, of the files not yet told of."""
    platform = job.platform
    assert job.force_id is not None
    async with force_transaction(platform, job.force_id) as tx:
        session = tx.session
        # Locked so that two workers running two of these jobs never both tell.
        request = await session.get(
            EvidenceRequest, int(job.payload["request_id"]), with_for_update=True
        )
        if request is None:
            return
        arrived = (
            await session.execute(
                select(Upload, EvidenceItem.review_state)
                .join(EvidenceItem, EvidenceItem.id == Upload.item_id)
                .where(Upload.request_id == request.id, Upload.officer_told_at.is_(None))
                .order_by(Upload.id)
                .with_for_update(of=Upload)
            )
        ).all()
        if not arrived:
            return
        now = utcnow()
        for upload, _ in arrived:
            upload.officer_told_at = now
        officer = (
            await session.get(User, request.officer_id) if request.officer_id is not None else None
        )
        case = await session.get(Case, request.case_id)
        if officer is None or not officer.active or case is None:
            return
        quarantined = sum(state == ReviewState.QUARANTINED for _, state in arrived)
        await queue_message(
            session,
            platform.secret_box,
            request.force_id,
            channel="email",
            recipient=officer.email,
            content=arrival_message(
                len(arrived),
                quarantined,
                request.id,
                case.reference,
                f"{platform.settings.public_url}/cases/{case.id}",
            ),
            purpose=ARRIVALS_PURPOSE,
            request_id=request.id,
        )


def arrival_message(
    files: int, quarantined: int, request_id: int, case_reference: str, case_url: str
) -> MessageContent:
    """The officer's note: how many files arrived, how many are held for checking, where."""
    if files == 1:
        news = "1 file arrived"
        held = " It is quarantined for checking." if quarantined else ""
    else:
        news = f"{files} files arrived"
        held = f" {quarantined} of them quarantined for checking." if quarantined else ""
    return MessageContent(
        subject=f"Exhibit: new evidence on case {case_reference}",
        body=f"{news} for your evidence request {request_id} on case {case_reference}.{held}\n"
        f"Review in Exhibit: {case_url}",
    )
