"""Clearing abandoned uploads: past their expiry and unfinished, their bytes go.

tus's expiration extension tells the client when an upload stops being resumable
(``Upload-Expires``); this sweep keeps that promise on the server's side, across all forces.
An unfinished upload whose link was revoked goes at the next sweep too: nobody can finish it.
Each discarded upload is audited in its force's chain as ``upload.expired``.
"""

import logging

from sqlalchemy import select

from exhibit.db.base import utcnow
from exhibit.jobs.handlers import JobContext
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, Upload
from exhibit.uploads.tus.service import expire_upload, upload_due

log = logging.getLogger(__name__)

SWEEP_JOB = "core.sweep_abandoned_uploads"
BATCH = 500
"""Uploads looked at per round; the sweep goes round until none is left."""


async def sweep_abandoned_uploads(platform: Platform) -> int:
    """Discard every unfinished upload whose expiry has passed or whose link was revoked;
    return how many went.

    An upload that a request is writing to right now is left for the next sweep; one whose
    bytes all arrived is ingested rather than discarded (see ``expire_upload``).
    """
    discarded, after = 0, 0
    while True:
        async with platform.system_session() as session:
            due = (
                await session.execute(
                    select(Upload.id, Upload.force_id)
                    .join(EvidenceRequest, EvidenceRequest.id == Upload.request_id)
                    .where(
                        upload_due(utcnow()),
                        Upload.completed_at.is_(None),
                        Upload.terminated_at.is_(None),
                        Upload.id > after,
                    )
                    .order_by(Upload.id)
                    .limit(BATCH)
                )
            ).all()
        if not due:
            break
        for upload_id, force_id in due:
            after = upload_id
            try:
                if await expire_upload(platform, force_id, upload_id):
                    discarded += 1
            except Exception as exc:
                # One upload the store or the ingest cannot deal with must not stop the rest;
                # it is looked at again next time.
                log.warning("upload %s not swept: %s", upload_id, type(exc).__name__)
    if discarded:
        log.info("discarded %s abandoned uploads", discarded)
    return discarded


async def sweep_abandoned_uploads_job(job: JobContext) -> None:
    """Job handler for ``SWEEP_JOB``: run the sweep (safe to run twice at once)."""
    await sweep_abandoned_uploads(job.platform)
